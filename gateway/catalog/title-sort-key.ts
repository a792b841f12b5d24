/**
 * Letters without a decomposition that a German reader files under other letters: ß (and ẞ, which
 * lower-cases to ß) as ss, ligatures as their two letters, letters with a stroke as their base letter.
 */
const SPELLED_OUT: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ı: 'i' };

/**
 * The key that browsing sorts titles by, in byte order: the German dictionary order of DIN 5007-1
 * (variant 1). Upper and lower case sort together, Ä, Ö and Ü as A, O and U, ß as ss, other letters
 * with accents or marks as their base letter, compatibility characters as what they stand for (the
 * ligature ﬁ as fi, full-width Ａ as a). Titles with the same key are ordered by the exact title and
 * then the id (search-services.ts), so that the order is total.
 *
 * Stored in `service.title_sort` when a listing is written. A change to this function needs a new
 * migration that recomputes the column, and a new shape of title cursor (cursor.ts): a cursor
 * computes the key of its title again.
 */
export function titleSortKey(title: string): string {
  return title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}/gu, '')
    .replace(/[ßæœøłđı]/g, (letter) => SPELLED_OUT[letter]!)
    .normalize('NFC');
}
