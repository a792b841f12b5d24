/**
 * Splits text into lowercase words of letters and digits, the unit of the search vocabulary. The text
 * is composed first (NFC): "ü" written as "u" and a combining diaeresis (as macOS and many PDFs deliver
 * it) is the same word as the "ü" a keyboard types, not the two words "u" and what follows the mark.
 */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** The distinct words worth remembering for typo tolerance: three characters or more, not only digits. */
export function vocabulary(...texts: string[]): string[] {
  const result = new Set<string>();
  for (const text of texts) {
    for (const word of words(text)) {
      if (word.length >= 3 && word.length <= 60 && !/^\p{N}+$/u.test(word)) result.add(word);
    }
  }
  return [...result];
}
