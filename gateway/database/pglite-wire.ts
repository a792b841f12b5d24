import { protocol, types, type PGlite } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
import { TextDecoder, TextEncoder } from 'node:util';
import pg from 'pg';
import { compileRowLiteral, staleStatements, type BuildRow } from './pg-rows.ts';

/**
 * Runs statements in embedded PostgreSQL (PGlite) with one call into its WebAssembly module each, and
 * reads the answer with a lean parser of the wire protocol. `PGlite.query` makes five calls per
 * statement (Parse, Describe, Bind, Describe, Execute), parses the row description twice through
 * down-compiled private fields and copies each value's bytes before decoding them: under the
 * benchmark's detail query its JavaScript took more CPU than PostgreSQL itself (bench/README.md,
 * "Embedded PostgreSQL statements run through a lean wire").
 *
 * A statement with parameters is prepared once per statement text, as a named statement of the
 * session, and then only bound and executed: PostgreSQL parses and analyses its text once. Its plan is
 * still made for each execution's values (SESSION_PLAN_CACHE_MODE, transaction-plans.ts),
 * as for an unnamed statement, so preparing changes no plan (bench/README.md, "Embedded PostgreSQL
 * prepares each statement once").
 *
 * The answers are PGlite's: values through PGlite's own parsers and serializers (a parameter's type,
 * which picks its serializer, is asked when the statement is prepared), errors as PGlite's
 * `DatabaseError` with the same fields, the query and its parameters, and the same affected-row count.
 * Notifications that arrive with an answer go to the listeners registered here (`listen`): PGlite's
 * own listeners hear only what runs through PGlite's query functions. Every statement runs under
 * PGlite's query lock, so it never lands between the steps of a `PGlite.query`.
 */
export class PGliteWire {
  readonly #client: PGlite;
  /** The named statement of each statement text with parameters (its text is its shape; the values vary). */
  readonly #prepared = new Map<string, Prepared>();
  /** The length of the prepared statements' texts together (bounded, as their number is). */
  #preparedLength = 0;
  /** Named statements to close with the next exchange: forgotten, and so never bound again. */
  #toClose: string[] = [];
  readonly #listeners = new Map<string, Set<(payload: string) => void>>();
  /** How each statement text's rows are built (#shapeFor). */
  readonly #shapes = new Map<string, RowShape>();
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  /** Writes each exchange's messages; one for all, since statements run one at a time (query lock). */
  readonly #writerOfAll = new MessageWriter(this.#encoder);

  constructor(client: PGlite) {
    this.#client = client;
  }

  /** Whether the database was closed. */
  get closed(): boolean {
    return this.#client.closed;
  }

  /** Runs one statement; its rows are objects keyed by column name, as `PGlite.query` gives them. */
  query<R>(text: string, parameters: readonly unknown[] = []): Promise<{ rows: R[]; affectedRows: number }> {
    return this.#client.runExclusive(() => this.#run<R>(text, parameters));
  }

  /** LISTENs on `channel` (an identifier, quoted here); `callback` hears each payload, after the commit that sent it. */
  async listen(channel: string, callback: (payload: string) => void): Promise<void> {
    await this.query(`listen ${pg.escapeIdentifier(channel)}`);
    let set = this.#listeners.get(channel);
    if (!set) this.#listeners.set(channel, (set = new Set()));
    set.add(callback);
  }

  /** Stops `callback`; the session UNLISTENs once the channel has no listener left. */
  async unlisten(channel: string, callback: (payload: string) => void): Promise<void> {
    const set = this.#listeners.get(channel);
    if (!set?.delete(callback) || set.size > 0) return;
    this.#listeners.delete(channel);
    await this.query(`unlisten ${pg.escapeIdentifier(channel)}`);
  }

  async #run<R>(
    text: string,
    parameters: readonly unknown[],
    retried = false,
  ): Promise<{ rows: R[]; affectedRows: number }> {
    // Prepared first: preparing is an exchange of its own, through the same writer.
    const prepared =
      parameters.length === 0
        ? undefined
        : (this.#prepared.get(text) ?? (await this.#prepare(text, parameters)));
    const message = this.#writer();
    if (prepared) {
      const values: (string | Uint8Array | null)[] = [];
      for (let i = 0; i < parameters.length; i++) {
        values.push(this.#serialize(parameters[i], prepared.typeIds[i]));
      }
      message.bind(values, prepared.name);
    } else {
      message.parse(text).bind([]);
    }
    message.describePortal().execute().sync();
    const answer = this.#read<R>(await this.#exchange(message.bytes()), text, parameters);
    if (answer.error) {
      const stale = prepared ? staleStatements(answer.error) : undefined;
      if (stale) {
        if (stale === 'all') this.#forgetAll();
        else this.#forget(text);
        if (!retried && answer.idle) return this.#run<R>(text, parameters, true);
      }
      throw answer.error;
    }
    // A statement that can change what tables and types look like (a migration's) makes every
    // prepared statement be prepared again before it runs next: PostgreSQL would revalidate them
    // itself, but fails one whose result changes shape instead of describing it anew.
    if (parameters.length === 0 && CHANGES_DEFINITIONS.test(text)) this.#forgetAll();
    return { rows: answer.rows, affectedRows: answer.affectedRows };
  }

  /** A writer of the next exchange, which starts by closing the named statements forgotten since the last. */
  #writer(): MessageWriter {
    const message = this.#writerOfAll.reset();
    for (const name of this.#toClose) message.closeStatement(name);
    this.#toClose = [];
    return message;
  }

  /**
   * Sends `message` and returns PostgreSQL's answer. Through `execProtocolRawStream`: `execProtocolRaw`
   * would still parse the answer with PGlite's parser, and keep every parsed message of every call
   * (they are dropped only when a PGlite query function runs next).
   */
  async #exchange(message: Uint8Array): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let length = 0;
    await this.#client.execProtocolRawStream(message, {
      // A view into the module's memory, valid only during the call: copied.
      onRawData: (bytes) => {
        chunks.push(bytes.slice());
        length += bytes.length;
      },
    });
    if (chunks.length === 1) return chunks[0]!;
    const answer = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      answer.set(chunk, offset);
      offset += chunk.length;
    }
    return answer;
  }

  /**
   * Prepares `text` as a named statement and asks for its parameter types (which pick their
   * serializers). A statement prepared inside a transaction block stays prepared after a rollback:
   * a session's prepared statements are not transactional.
   */
  async #prepare(text: string, parameters: readonly unknown[]): Promise<Prepared> {
    // Statement texts are the program's own (values travel as parameters), so they are few; the
    // bounds keep a program that builds texts from data (or a batch's many rows) from filling the
    // database's memory with prepared statements.
    if (
      this.#prepared.size >= MAX_PREPARED_STATEMENTS ||
      this.#preparedLength + text.length > MAX_PREPARED_TEXT_LENGTH
    ) {
      this.#forgetAll();
    }
    const name = `pglite_wire_${PROCESS_PART}_${nextStatementNumber++}`;
    const message = this.#writer();
    message.parse(text, name).describeStatement(name).sync();
    const answer = await this.#exchange(message.bytes());
    let typeIds: number[] | undefined;
    let error: Error | undefined;
    this.#messages(answer, (code, reader) => {
      if (code === PARAMETER_DESCRIPTION) {
        const count = reader.int16();
        typeIds = Array.from({ length: count }, () => reader.int32());
      } else if (code === ERROR) error ??= this.#error(reader, text, parameters);
    });
    if (error) throw error;
    if (!typeIds) throw new Error('embedded PostgreSQL described no parameters');
    const prepared = { name, typeIds };
    this.#prepared.set(text, prepared);
    this.#preparedLength += text.length;
    return prepared;
  }

  #forget(text: string): void {
    const prepared = this.#prepared.get(text);
    if (!prepared) return;
    this.#prepared.delete(text);
    this.#preparedLength -= text.length;
    this.#toClose.push(prepared.name);
  }

  #forgetAll(): void {
    for (const { name } of this.#prepared.values()) this.#toClose.push(name);
    this.#prepared.clear();
    this.#preparedLength = 0;
  }

  /** A parameter as PGlite.query sends it: its type's serializer, else its text. */
  #serialize(value: unknown, typeId: number | undefined): string | Uint8Array | null {
    if (value === null || value === undefined) return null;
    const serializer = typeId === undefined ? undefined : this.#client.serializers[typeId];
    const sent: unknown = serializer ? serializer(value) : (value as { toString(): string }).toString();
    if (sent instanceof Uint8Array) return sent;
    if (ArrayBuffer.isView(sent)) return new Uint8Array(sent.buffer, sent.byteOffset, sent.byteLength);
    if (sent instanceof ArrayBuffer) return new Uint8Array(sent);
    return String(sent);
  }

  /** The rows and count of an answer, or its error, and whether the session is outside a transaction block after it. */
  #read<R>(answer: Uint8Array, text: string, parameters: readonly unknown[]): Answer<R> {
    const rows: R[] = [];
    let shape: RowShape | undefined;
    let affectedRows = 0;
    let error: Error | undefined;
    let idle = false;
    this.#messages(answer, (code, reader) => {
      switch (code) {
        case ROW_DESCRIPTION: {
          const count = reader.int16();
          const names = new Array<string>(count);
          const typeIds = new Array<number>(count);
          for (let i = 0; i < count; i++) {
            names[i] = reader.cstring();
            reader.skip(6);
            typeIds[i] = reader.int32();
            reader.skip(8);
          }
          shape = this.#shapeFor(text, names, typeIds);
          break;
        }
        case DATA_ROW: {
          const count = reader.int16();
          const values = new Array<string | null>(count);
          for (let i = 0; i < count; i++) {
            const length = reader.int32();
            values[i] = length < 0 ? null : reader.text(length);
          }
          rows.push(shape!.build(values) as R);
          break;
        }
        case COMMAND_COMPLETE:
          affectedRows += rowCount(reader.cstring());
          break;
        case ERROR:
          error ??= this.#error(reader, text, parameters);
          break;
        case READY_FOR_QUERY:
          idle = reader.byte() === IDLE;
          break;
        case NOTIFICATION: {
          reader.skip(4);
          const channel = reader.cstring();
          const payload = reader.cstring();
          // As PGlite calls its listeners: after the code that runs now.
          for (const callback of this.#listeners.get(channel) ?? []) queueMicrotask(() => callback(payload));
          break;
        }
      }
    });
    return { rows, affectedRows, error, idle };
  }

  /**
   * How the rows of `text` are built: as one object literal per row, compiled once per statement text
   * and row description. Rows built property by property from a statement's thirty columns end up in
   * V8's dictionary mode, and every read of them takes its slowest path (pg-rows.ts does the same for
   * PostgreSQL). Values go through PGlite's parsers.
   */
  #shapeFor(text: string, names: string[], typeIds: number[]): RowShape {
    const known = this.#shapes.get(text);
    if (known && sameColumns(known, names, typeIds)) return known;
    const shape = compileShape(names, typeIds, this.#client.parsers);
    if (this.#shapes.size >= MAX_REMEMBERED_STATEMENTS) this.#shapes.clear();
    this.#shapes.set(text, shape);
    return shape;
  }

  /** Calls `each` with every message of an answer, its reader placed at the message's body. */
  #messages(answer: Uint8Array, each: (code: number, reader: MessageReader) => void): void {
    const reader = new MessageReader(answer, this.#decoder);
    let offset = 0;
    while (offset + 5 <= answer.length) {
      const code = answer[offset]!;
      const length = reader.int32At(offset + 1);
      reader.moveTo(offset + 5);
      each(code, reader);
      offset += 1 + length;
    }
  }

  /** PGlite's error for an ErrorResponse: its DatabaseError with the server's fields, the query and its parameters. */
  #error(reader: MessageReader, text: string, parameters: readonly unknown[]): Error {
    const fields: Record<string, string> = {};
    for (let field = reader.byte(); field !== 0; field = reader.byte()) {
      fields[String.fromCharCode(field)] = reader.cstring();
    }
    const error = new protocol.messages.DatabaseError(fields.M ?? '', 0, 'error');
    Object.assign(error, {
      severity: fields.S,
      code: fields.C,
      detail: fields.D,
      hint: fields.H,
      position: fields.P,
      internalPosition: fields.p,
      internalQuery: fields.q,
      where: fields.W,
      schema: fields.s,
      table: fields.t,
      column: fields.c,
      dataType: fields.d,
      constraint: fields.n,
      file: fields.F,
      line: fields.L,
      routine: fields.R,
      query: text,
      params: [...parameters],
      queryOptions: undefined,
    });
    return error;
  }
}

interface Prepared {
  /** The statement's name in the session. */
  name: string;
  /** Its parameters' type ids, as PostgreSQL inferred them. */
  typeIds: number[];
}

interface Answer<R> {
  rows: R[];
  affectedRows: number;
  error: Error | undefined;
  /** The session is outside a transaction block (ReadyForQuery said so). */
  idle: boolean;
}

interface RowShape {
  names: string[];
  typeIds: number[];
  build: BuildRow;
}

function sameColumns(shape: RowShape, names: string[], typeIds: number[]): boolean {
  if (shape.names.length !== names.length) return false;
  for (let i = 0; i < names.length; i++) {
    if (shape.names[i] !== names[i] || shape.typeIds[i] !== typeIds[i]) return false;
  }
  return true;
}

type Parsers = PGlite['parsers'];

function compileShape(names: string[], typeIds: number[], parsers: Parsers): RowShape {
  const parse = (value: string | null, typeId: number): unknown => types.parseType(value, typeId, parsers);
  // An object literal's "__proto__" key would set the prototype: such rows are built property by property.
  if (names.includes('__proto__')) {
    return {
      names,
      typeIds,
      build: (values) => {
        const row: Record<string, unknown> = {};
        values.forEach((value, i) =>
          Object.defineProperty(row, names[i]!, {
            value: parse(value, typeIds[i]!),
            enumerable: true,
            writable: true,
            configurable: true,
          }),
        );
        return row;
      },
    };
  }
  const build = compileRowLiteral<typeof parse>(names, (i) => `p(v[${i}], ${typeIds[i]!})`)(parse);
  return { names, typeIds, build };
}

/** How many statement texts' row shapes are remembered before the memory starts over. */
const MAX_REMEMBERED_STATEMENTS = 2000;

/**
 * How many statements stay prepared, and how long their texts may be together, before all are
 * closed and preparing starts over. A prepared statement keeps its analysed text in the database's
 * memory, which never shrinks: a batch insert's text with a thousand rows of values is large.
 */
const MAX_PREPARED_STATEMENTS = 1000;
const MAX_PREPARED_TEXT_LENGTH = 1_000_000;

/**
 * Numbers the named statements of every wire of this module (two wires may share a database); the
 * random part keeps apart the names of wires of another copy of the module (a test runner's).
 */
let nextStatementNumber = 0;
const PROCESS_PART = randomBytes(4).toString('hex');

/**
 * Statements (without parameters) after which the prepared statements are prepared anew: those that
 * can change tables, types, functions or the search path.
 */
const CHANGES_DEFINITIONS = /^\s*(?:create|alter|drop|do|set|reset|discard|deallocate)\b/i;

const INITIAL_WRITER_BYTES = 1024;
const MAX_KEPT_WRITER_BYTES = 64 * 1024;

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'

const PARAMETER_DESCRIPTION = 0x74; // 't'
const ROW_DESCRIPTION = 0x54; // 'T'
const DATA_ROW = 0x44; // 'D'
const COMMAND_COMPLETE = 0x43; // 'C'
const ERROR = 0x45; // 'E'
const NOTIFICATION = 0x41; // 'A'

/** The rows a command reports, as PGlite counts them (INSERT 0 n, UPDATE n, DELETE n, COPY n, MERGE n). */
function rowCount(tag: string): number {
  const parts = tag.split(' ');
  switch (parts[0]) {
    case 'INSERT':
      return Number.parseInt(parts[2]!, 10);
    case 'UPDATE':
    case 'DELETE':
    case 'COPY':
    case 'MERGE':
      return Number.parseInt(parts[1]!, 10);
    default:
      return 0;
  }
}

/** Writes frontend messages of the extended query protocol into one buffer. */
class MessageWriter {
  readonly #encoder: TextEncoder;
  #buffer = new Uint8Array(INITIAL_WRITER_BYTES);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;

  constructor(encoder: TextEncoder) {
    this.#encoder = encoder;
  }

  /** Empties the writer for the next exchange; a buffer grown for a large batch is let go. */
  reset(): this {
    this.#length = 0;
    if (this.#buffer.length > MAX_KEPT_WRITER_BYTES) {
      this.#buffer = new Uint8Array(INITIAL_WRITER_BYTES);
      this.#view = new DataView(this.#buffer.buffer);
    }
    return this;
  }

  /** Parse, of the unnamed statement unless `name` is given; no parameter types are given. */
  parse(text: string, name = ''): this {
    return this.#message(0x50, () => this.#cstring(name).#cstring(text).#int16(0)); // 'P'
  }

  /** Bind of the unnamed portal to the statement `name` (the unnamed one by default). */
  bind(values: readonly (string | Uint8Array | null)[], name = ''): this {
    return this.#message(0x42, () => {
      this.#cstring('').#cstring(name);
      this.#int16(values.length);
      for (const value of values) this.#int16(value instanceof Uint8Array ? 1 : 0);
      this.#int16(values.length);
      for (const value of values) {
        if (value === null) {
          this.#int32(-1);
        } else {
          const bytes = typeof value === 'string' ? this.#encoder.encode(value) : value;
          this.#int32(bytes.length).#bytes(bytes);
        }
      }
      this.#int16(0); // results as text
    });
  }

  describeStatement(name: string): this {
    return this.#message(0x44, () => this.#byte(0x53).#cstring(name)); // 'D' 'S'
  }

  closeStatement(name: string): this {
    return this.#message(0x43, () => this.#byte(0x53).#cstring(name)); // 'C' 'S'
  }

  describePortal(): this {
    return this.#message(0x44, () => this.#byte(0x50).#cstring('')); // 'D' 'P'
  }

  execute(): this {
    return this.#message(0x45, () => this.#cstring('').#int32(0)); // 'E', all rows
  }

  sync(): this {
    return this.#message(0x53, () => undefined); // 'S'
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  #message(code: number, body: () => void): this {
    this.#byte(code);
    const at = this.#length;
    this.#int32(0);
    body();
    this.#view.setInt32(at, this.#length - at);
    return this;
  }

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + bytes));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }

  #byte(value: number): this {
    this.#room(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  #int16(value: number): this {
    this.#room(2);
    this.#view.setInt16(this.#length, value);
    this.#length += 2;
    return this;
  }

  #int32(value: number): this {
    this.#room(4);
    this.#view.setInt32(this.#length, value);
    this.#length += 4;
    return this;
  }

  #bytes(bytes: Uint8Array): this {
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  #cstring(text: string): this {
    return this.#bytes(this.#encoder.encode(text)).#byte(0);
  }
}

/** Reads the fields of backend messages in place (no copies). */
class MessageReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #decoder: TextDecoder;
  #offset = 0;

  constructor(bytes: Uint8Array, decoder: TextDecoder) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#decoder = decoder;
  }

  moveTo(offset: number): void {
    this.#offset = offset;
  }

  skip(bytes: number): void {
    this.#offset += bytes;
  }

  int32At(offset: number): number {
    return this.#view.getInt32(offset);
  }

  byte(): number {
    return this.#bytes[this.#offset++]!;
  }

  int16(): number {
    const value = this.#view.getInt16(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    const value = this.#view.getInt32(this.#offset);
    this.#offset += 4;
    return value;
  }

  text(length: number): string {
    const value = this.#decoder.decode(this.#bytes.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return value;
  }

  cstring(): string {
    const end = this.#bytes.indexOf(0, this.#offset);
    const value = this.text(end - this.#offset);
    this.#offset = end + 1;
    return value;
  }
}
