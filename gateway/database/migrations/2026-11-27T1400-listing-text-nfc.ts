import { sql, type Kysely } from 'kysely';
import { vocabulary } from '../../catalog/search-terms.ts';

// Immutable once landed: a change to the schema is a new migration.

// Listings are searched in composed Unicode (NFC) from now on (gateway/catalog/listing-columns.ts):
// a title delivered with decomposed umlauts ("u" and a combining diaeresis) was not found by the word
// as a keyboard types it. The searched columns of listings stored before are composed here (their
// documents and content hashes stay as they were sent), and the words of those listings join the
// typo vocabulary, which held them cut apart at each combining mark.
export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ title: string; summary: string; keywords_text: string }>`
    update service set
      title = normalize(title, nfc),
      summary = normalize(summary, nfc),
      description = normalize(description, nfc),
      keywords_text = normalize(keywords_text, nfc)
    where not (title is nfc normalized and summary is nfc normalized
      and description is nfc normalized and keywords_text is nfc normalized)
    returning title, summary, keywords_text`.execute(db);
  const terms = vocabulary(...rows.flatMap((row) => [row.title, row.summary, row.keywords_text])).sort();
  if (terms.length > 0) {
    await sql`insert into search_term (term) select unnest(${terms}::text[]) on conflict do nothing`.execute(
      db,
    );
  }
}

// Nothing to undo: composed text is the same text.
export async function down(): Promise<void> {}
