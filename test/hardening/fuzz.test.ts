/**
 * Property-based fuzzing of every endpoint (issue "Hardening", part 1).
 *
 * Each case is one request built by fast-check: mutated create bodies (from a valid one),
 * random JSON and raw text, random query strings, headers, credentials, Idempotency-Keys,
 * methods and paths, sent through app.inject and, for the header and byte-level cases, as raw
 * bytes over a TCP socket to a real listener. Every response must satisfy:
 *
 *  - status < 500 (the one exception: /readyz answers 503 by contract while the reconciler is
 *    stopped, as it is here), and an answer within 10 s;
 *  - a 4xx is exactly the error envelope of DESIGN section 2, with X-Request-Id;
 *  - a 2xx matches the endpoint's wire schema exactly (no extra keys);
 *  - a rejected request (4xx), any GET or HEAD, and any idempotent replay leave the database
 *    exactly as it was: no row written to any state table (see createWriteCounter in checks.ts).
 *
 * The server runs with a manual clock and a stopped reconciler, so nothing changes state
 * between requests unless the test drives it (settle() below, after an accepted scale).
 *
 * Reproducible: FUZZ_SEED (default below) seeds every property (property i uses FUZZ_SEED + i);
 * FUZZ_RUNS is the total number of cases, shared out by fixed weights. A failure prints the
 * property's seed and the counterexample's path; re-running with the same FUZZ_SEED replays the
 * same sequence.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE } from '../api/util.js'
import { ADMIN_TOKEN, TEST_BACKEND, startTestServer, validBody, type TestServer } from '../helpers.js'
import {
  ENVELOPE_KEYS,
  SHAPES,
  createWriteCounter,
  describeExchange,
  expectEnvelope,
  expectShape,
  type Resp,
} from './checks.js'
import {
  deepText,
  fromValue,
  maybe,
  mutatedBodyText,
  nastyNumberText,
  nastyString,
  nastyValue,
  raw,
  render,
  str,
  type JNode,
} from './json-text.js'
import { HangError, parseResponse, rawExchange } from './raw-http.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_128)
const TOTAL = Number(process.env.FUZZ_RUNS ?? (TEST_BACKEND === 'postgres' ? 2000 : 5000))
const TIMEOUT_MS = 10_000

// ---------------------------------------------------------------------------------------------
// The model of one request

type Kind =
  | 'create'
  | 'list'
  | 'get'
  | 'vms'
  | 'delete'
  | 'scale-out'
  | 'scale-in'
  | 'events'
  | 'admin'
  | 'reset'
  | 'ops'
  | 'unknown'

/** A cluster (or credential) id: one from a pool, resolved when the case runs, or literal URL text. */
type IdRef = { pool: 'protected' | 'expendable' | 'other' | 'fuzzCred'; i: number } | { literal: string }
type CredRef = 'valid' | 'other' | 'none' | { fuzz: number } | { headers: Record<string, string> }

/** Byte-level changes for the raw-socket cases. */
interface RawMods {
  method?: string
  target?: string
  version: string
  host: boolean
  dupCredentials: boolean
  headers: [string, string][]
  framing: 'length' | 'chunked' | 'conflicting-lengths' | 'length-and-chunked' | 'bad-length'
}

interface Spec {
  kind: Kind
  method: string
  /** Percent-encoded path; `{id}` is replaced by the resolved id. */
  path: string
  id?: IdRef
  query?: string
  cred: CredRef
  headers: Record<string, string>
  payload?: string
  raw?: RawMods
}

interface Sent {
  kind: Kind
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  raw?: RawMods
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1')
const UNRESERVED = /[A-Za-z0-9\-._~]/
/** Percent-encodes the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD). */
const pct = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => {
      const ch = String.fromCharCode(b)
      return b < 0x80 && UNRESERVED.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))
/** What a header value can carry over HTTP/1.1: visible ASCII, space, tab, obs-text. */
const headerValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: printable, maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc
        .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9))
        .map((c) => String.fromCharCode(c)),
      maxLength: 40,
    }),
  },
  // Node's parser refuses control characters in a header value (the raw-socket cases send them);
  // app.inject would let them through, which no client can.
  {
    weight: 1,
    arbitrary: nastyString.map((v) =>
      [...latin1(v)].map((ch) => ((ch < ' ' && ch !== '\t') || ch === '\x7f' ? '?' : ch)).join(''),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 60_000).map((n) => 'v'.repeat(n)) },
)
const headerName: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,24}$/),
  fc.constantFrom(
    'accept',
    'accept-encoding',
    'accept-language',
    'authorization',
    'cache-control',
    'connection',
    'content-encoding',
    'content-language',
    'cookie',
    'credential-id',
    'credential-secret',
    'expect',
    'forwarded',
    'idempotency-key',
    'if-match',
    'if-none-match',
    'origin',
    'range',
    'referer',
    'te',
    'upgrade',
    'user-agent',
    'via',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-http-method-override',
    'x-real-ip',
    'x-request-id',
    '__proto__',
    'constructor',
  ),
)
const extraHeaders = maybe(fc.dictionary(headerName, headerValue, { minKeys: 1, maxKeys: 3 }), 0.2)

const contentType: fc.Arbitrary<string> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json;charset=UTF-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset="utf-8"',
      'application/json; boundary=x',
      'application/json ; x=y',
      'application/json;',
      'application/jsonx',
      'application/json-patch+json',
      'application/vnd.api+json',
      'text/json',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'application/*',
      '',
      ' ',
      'json',
      'application/json, text/plain',
      ';',
    ),
  },
  { weight: 1, arbitrary: headerValue },
)
const idempotencyKey = maybe(
  fc.oneof(
    // A small pool, so keys collide: replays of the same request and 422s for another one.
    { weight: 4, arbitrary: fc.constantFrom('fz-1', 'fz-2', 'fz-3') },
    { weight: 2, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,255}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', 'a b', 'x'.repeat(256), latin1('ключ'), '\t', 'k\u00e9'),
    },
  ),
  0.25,
)

const credArb: fc.Arbitrary<CredRef> = fc.oneof(
  { weight: 16, arbitrary: fc.constant<CredRef>('valid') },
  { weight: 1, arbitrary: fc.constant<CredRef>('other') },
  { weight: 1, arbitrary: fc.constant<CredRef>('none') },
  { weight: 1, arbitrary: fc.nat().map((i): CredRef => ({ fuzz: i })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.record({
          'credential-id': fc.constantFrom('test-id', 'TEST-ID', 'test-id, test-id', ' test-id', 'test-id\t'),
          'credential-secret': fc.oneof(
            headerValue,
            fc.constantFrom(
              'test-secret-1234, test-secret-1234',
              'TEST-SECRET-1234',
              'test-secret-123',
              'test-secret-12345',
              'test-secret-1234 ',
            ),
          ),
        }),
        fc.record({ 'credential-id': headerValue, 'credential-secret': headerValue }, { requiredKeys: [] }),
      )
      .map((headers): CredRef => ({ headers })),
  },
)

const BROKEN_SEGMENTS = [
  '%zz',
  '%',
  '%E0%A4%A',
  '%00',
  '%ff',
  '%C3%28',
  '%ED%A0%80',
  '%2e%2e',
  'x%2Fy',
  '%20',
  '+',
  '..',
  "'%20OR%201=1%20--",
  '%27;',
  'a'.repeat(500),
  '%25',
  '*',
]
const literalId: fc.Arbitrary<IdRef> = fc
  .oneof(fc.uuid(), nastyString.filter((s) => s !== '').map(pct), fc.constantFrom(...BROKEN_SEGMENTS))
  .map((literal) => ({ literal }))
/** Cluster ids; `protectedToo` false for requests that could delete the scale targets. */
const clusterId = (protectedToo: boolean): fc.Arbitrary<IdRef> =>
  fc.oneof(
    { weight: protectedToo ? 5 : 0, arbitrary: fc.nat().map((i): IdRef => ({ pool: 'protected', i })) },
    { weight: 3, arbitrary: fc.nat().map((i): IdRef => ({ pool: 'expendable', i })) },
    { weight: 1, arbitrary: fc.nat().map((i): IdRef => ({ pool: 'other', i })) },
    { weight: 2, arbitrary: literalId },
  )

const ODD_METHODS = ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE'] as const
const methodOr = (usual: string) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) },
  )

// Deep nesting costs time to build; build each once.
const DEEP: readonly string[] = [10_000, 100_000, 400_000].flatMap((d) => [
  deepText(d, 'arr'),
  deepText(d, 'obj'),
])
const deepBody = fc.oneof(
  fc.constantFrom(...DEEP),
  fc.constantFrom(...DEEP).map((d) => `{"scaleCnt":1,"x":${d}}`),
  fc
    .constantFrom(...DEEP)
    .map((d) => JSON.stringify(validBody({ name: 'deep-body' })).replace(/}$/, `,"x":${d}}`)),
)

/** Any body at all: hostile values, random JSON, fixed oddities, deep nesting, random text. */
const anyBodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: nastyValue.map(render) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      '[]',
      '{}',
      '"x"',
      '1e400',
      '-0',
      'true',
      '{"a":1',
      '\ufeff{}',
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"prototype":{"x":1}}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '\u0000',
      '{"a":1}{"b":2}',
      '{"a":1,}',
    ),
  },
  { weight: 1, arbitrary: deepBody },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
)

/** Query strings: known and unknown keys, repeated, values encoded, raw or broken. */
const queryString = (keys: readonly string[]): fc.Arbitrary<string> => {
  const value = fc.oneof(
    fc.integer({ min: -5, max: 1200 }).map(String),
    nastyNumberText,
    fc.constantFrom(
      'name,desc',
      'createdAt',
      'id,asc',
      'elapsedTime,desc',
      'workerCnt,desc,name',
      'a,b,desc',
      ',',
      ',,',
      'name,up',
      'NAME',
      'index,desc',
      'isMaster',
      'floatingIp,desc',
      'createdAt,DESC',
      'true',
      'false',
      'TRUE',
      '1',
      'yes',
      '',
      'Running',
      'hadoop',
      'possible',
      '10.',
      'Hadoop',
      '10000000',
      '10000001',
    ),
    nastyString,
  )
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...keys) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'toString',
        'name[]',
        'name[a]',
        'sort[]',
        '',
        'page.x',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  )
  const encode = fc.oneof(
    { weight: 6, arbitrary: fc.constant(pct) },
    // Characters a browser leaves alone (SQL metacharacters among them), and broken escapes.
    {
      weight: 2,
      arbitrary: fc.constant((s: string) =>
        pct(s).replace(/%(27|3B|2C|28|29|2A|21|24|40|3A|2F|3F)/g, (m) => decodeURIComponent(m)),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%zz', '%', '%e', '%%', '%ff', '%C3%28', '%00', '+', '%2B', '%26', '%3D')
        .map((bad) => (s: string) => `${pct(s)}${bad}`),
    },
  )
  return fc
    .array(fc.tuple(key, value, encode, fc.boolean()), { maxLength: 6 })
    .map((pairs) =>
      pairs
        .map(([k, v, enc, withValue]) => (withValue || v !== '' ? `${pct(k)}=${enc(v)}` : pct(k)))
        .join('&'),
    )
}
const LIST_KEYS = ['page', 'size', 'sort', 'includeTerminated', 'name', 'apiKeyStatus'] as const
const VM_KEYS = ['page', 'size', 'sort', 'ip', 'name', 'instanceId', 'status'] as const
const EVENT_KEYS = ['page', 'size'] as const

const validName = fc.stringMatching(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/)

const withBodyHeaders = (
  base: Omit<Spec, 'headers'>,
  ct: string | null,
  key: string | null,
  extra: Record<string, string> | null,
): Spec => ({
  ...base,
  headers: {
    ...(extra ?? {}),
    ...(ct !== null && base.payload !== undefined ? { 'content-type': ct } : {}),
    ...(key !== null ? { 'idempotency-key': key } : {}),
  },
})

// -- the cluster API

const createSpec: fc.Arbitrary<Spec> = fc
  .record({
    body: fc
      .option(validName, { freq: 3 })
      .chain((name) => mutatedBodyText(validBody(name === null ? {} : { name }))),
    cred: credArb,
    ct: maybe(contentType, 0.96),
    key: idempotencyKey,
    extra: extraHeaders,
    method: fc.oneof(
      { weight: 25, arbitrary: fc.constant('POST') },
      { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS') },
    ),
  })
  .map(({ body, cred, ct, key, extra, method }) =>
    withBodyHeaders({ kind: 'create', method, path: BASE, cred, payload: body }, ct, key, extra),
  )

const scaleBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 2 }).map((n) => `{"scaleCnt":${n}}`) },
  { weight: 4, arbitrary: nastyNumberText.map((t) => `{"scaleCnt":${t}}`) },
  { weight: 2, arbitrary: nastyValue.map((v) => `{"scaleCnt":${render(v)}}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'scaleCnt', 'extra'),
        nastyValue,
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
      )
      .map(([k, v, n, first]) => {
        const pair = `${JSON.stringify(k)}:${render(v)}`
        return first ? `{${pair},"scaleCnt":${n}}` : `{"scaleCnt":${n},${pair}}`
      }),
  },
  { weight: 1, arbitrary: anyBodyText },
)

const scaleSpec: fc.Arbitrary<Spec> = fc
  .record({
    dir: fc.constantFrom('out', 'in'),
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('POST') },
      { weight: 3, arbitrary: fc.constant('DELETE') },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'HEAD') },
    ),
    id: clusterId(true),
    body: maybe(scaleBody, 0.95),
    cred: credArb,
    ct: maybe(contentType, 0.96),
    key: idempotencyKey,
    extra: extraHeaders,
  })
  .map(({ dir, method, id, body, cred, ct, key, extra }) =>
    withBodyHeaders(
      {
        kind: dir === 'out' ? 'scale-out' : 'scale-in',
        method,
        path: `${BASE}/{id}/scale-${dir}`,
        id,
        cred,
        ...(body !== null ? { payload: body } : {}),
      },
      ct,
      key,
      extra,
    ),
  )

/** GET one cluster, its VMs or events, or DELETE it (never one of the scale targets). */
const clusterSpec: fc.Arbitrary<Spec> = fc.constantFrom('get', 'vms', 'events', 'delete').chain((op) =>
  fc
    .record({
      method: methodOr(op === 'delete' ? 'DELETE' : 'GET'),
      id: clusterId(op !== 'delete'),
      query: maybe(queryString(op === 'vms' ? VM_KEYS : op === 'events' ? EVENT_KEYS : LIST_KEYS), 0.5),
      cred: credArb,
      body: maybe(anyBodyText, 0.08),
      ct: maybe(contentType, 0.96),
      key: idempotencyKey,
      extra: extraHeaders,
    })
    .map(({ method, id, query, cred, body, ct, key, extra }) =>
      withBodyHeaders(
        {
          kind: op as Kind,
          method,
          path: op === 'get' || op === 'delete' ? `${BASE}/{id}` : `${BASE}/{id}/${op}`,
          id,
          cred,
          ...(query !== null ? { query } : {}),
          ...(body !== null && op === 'delete' ? { payload: body } : {}),
        },
        ct,
        key,
        extra,
      ),
    ),
)

const listSpec: fc.Arbitrary<Spec> = fc
  .record({
    method: methodOr('GET'),
    query: queryString(LIST_KEYS),
    cred: credArb,
    extra: extraHeaders,
    slash: fc.boolean(),
  })
  .map(({ method, query, cred, extra, slash }) => ({
    kind: 'list',
    method,
    path: slash ? `${BASE}/` : BASE,
    query,
    cred,
    headers: extra ?? {},
  }))

// -- the admin API

const adminAuth = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | null>(`Bearer ${ADMIN_TOKEN}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | null>(
      null,
      'Bearer wrong-token',
      `bearer ${ADMIN_TOKEN}`,
      `Bearer  ${ADMIN_TOKEN}`,
      ADMIN_TOKEN,
      `Basic ${Buffer.from(`x:${ADMIN_TOKEN}`).toString('base64')}`,
      'Bearer ',
      '',
      `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
      `Bearer ${'x'.repeat(10_000)}`,
    ),
  },
  { weight: 1, arbitrary: headerValue },
)
const PROJECT = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  fc.constantFrom('proj-a', 'proj-b', '', '_x', 'a'.repeat(65)),
)
const credentialBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        project: fc.oneof({ weight: 3, arbitrary: PROJECT.map(str) }, { weight: 1, arbitrary: nastyValue }),
        owner: maybe(fc.oneof(fc.string({ maxLength: 12 }).map(str), nastyValue), 0.5),
      })
      .map(({ project, owner }) =>
        render({
          k: 'obj',
          entries: [
            ['project', project] as [string, JNode],
            ...(owner ? [['owner', owner] as [string, JNode]] : []),
          ],
        }),
      ),
  },
  { weight: 1, arbitrary: anyBodyText },
)
const glob = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('fz-none-*', 'no-such-cluster', '/no/such/path*', '?', '*', '/v2/*/vms'),
  },
  // Globs that make a backtracking matcher slow (probed below with a 60-character path).
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 4, max: 8 }),
        fc.constantFrom('*a', '*?', '**a'),
        fc.constantFrom('*b', '', '/'),
      )
      .map(([k, unit, tail]) => `${unit.repeat(k)}${tail}`),
  },
  { weight: 1, arbitrary: nastyString },
)
/** Mostly a value the field takes, sometimes anything. */
const usually = (good: fc.Arbitrary<JNode>) =>
  fc.oneof(
    { weight: 3, arbitrary: good },
    { weight: 1, arbitrary: fc.oneof(nastyNumberText.map(raw), nastyValue) },
  )
const faultBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          match: usually(fc.record({ clusterName: glob, path: glob }, { requiredKeys: [] }).map(fromValue)),
          fault: usually(
            fc.constantFrom('provisionFailure', 'installFailure', 'taskFailure', 'apiError').map(str),
          ),
          status: usually(fc.integer({ min: 400, max: 599 }).map(fromValue)),
          times: usually(fc.integer({ min: 1, max: 5 }).map(fromValue)),
        },
        { requiredKeys: ['fault'] },
      )
      .map((r) => render({ k: 'obj', entries: Object.entries(r) as [string, JNode][] })),
  },
  { weight: 1, arbitrary: anyBodyText },
)

const adminSpec: fc.Arbitrary<Spec> = fc
  .record({
    auth: adminAuth,
    op: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('create-credential', 'create-fault') },
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          'list-credentials',
          'revoke-credential',
          'list-faults',
          'delete-fault',
          'elsewhere',
        ),
      },
    ),
    credentialBody,
    faultBody,
    credId: fc.oneof(
      { weight: 2, arbitrary: fc.nat().map((i): IdRef => ({ pool: 'fuzzCred', i })) },
      { weight: 1, arbitrary: literalId },
    ),
    faultId: literalId,
    elsewhere: fc.constantFrom(
      '/_admin',
      '/_admin/',
      '/_admin/nope',
      '/_admin/credentials/x/y',
      '/_admin/faults/x/y',
      '/_ADMIN/faults',
      '/_admin/reset/x',
      '/_admin/%zz',
    ),
    odd: maybe(fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'GET'), 0.1),
    ct: maybe(contentType, 0.96),
    key: idempotencyKey,
    extra: extraHeaders,
  })
  .map(({ auth, op, credentialBody, faultBody, credId, faultId, elsewhere, odd, ct, key, extra }): Spec => {
    const base = ((): Omit<Spec, 'headers' | 'cred' | 'kind'> => {
      switch (op) {
        case 'create-credential':
          return { method: 'POST', path: '/_admin/credentials', payload: credentialBody }
        case 'list-credentials':
          return { method: 'GET', path: '/_admin/credentials' }
        case 'revoke-credential':
          return { method: 'DELETE', path: '/_admin/credentials/{id}', id: credId }
        case 'create-fault':
          return { method: 'POST', path: '/_admin/faults', payload: faultBody }
        case 'list-faults':
          return { method: 'GET', path: '/_admin/faults' }
        case 'delete-fault':
          return { method: 'DELETE', path: '/_admin/faults/{id}', id: faultId }
        case 'elsewhere':
          return { method: 'POST', path: elsewhere, payload: faultBody }
      }
    })()
    // An odd method never turns into a request that could act (no POST or DELETE).
    const spec = withBodyHeaders(
      { ...base, kind: 'admin', cred: 'none', method: odd ?? base.method },
      ct,
      key,
      extra,
    )
    if (auth !== null) spec.headers.authorization = auth
    return spec
  })

/**
 * POST /_admin/reset with the valid token only in requests that must be refused before the
 * handler runs (malformed JSON, a non-JSON type, a bad Idempotency-Key); anything with a wrong
 * token. A 2xx here is a failure: it would have wiped the fuzz's clusters.
 */
const resetSpec: fc.Arbitrary<Spec> = fc
  .record({
    valid: fc.boolean(),
    wrong: adminAuth.filter((a) => a !== `Bearer ${ADMIN_TOKEN}`),
    refusal: fc.constantFrom('bad-json', 'text', 'bad-key', 'empty-json'),
    body: anyBodyText,
  })
  .map(({ valid, wrong, refusal, body }): Spec => {
    const headers: Record<string, string> = {}
    let payload: string | undefined = body
    if (valid) {
      headers.authorization = `Bearer ${ADMIN_TOKEN}`
      const refused: { type?: string; key?: string; payload?: string } = {
        'bad-json': { type: 'application/json', payload: '{"all":tru' },
        'empty-json': { type: 'application/json', payload: '' },
        text: { type: 'text/plain', payload: 'reset please' },
        'bad-key': { key: 'has space' },
      }[refusal]
      if (refused.type !== undefined) headers['content-type'] = refused.type
      if (refused.key !== undefined) headers['idempotency-key'] = refused.key
      payload = refused.payload
    } else {
      if (wrong !== null) headers.authorization = wrong
      headers['content-type'] = 'application/json'
    }
    return {
      kind: 'reset',
      method: 'POST',
      path: '/_admin/reset',
      cred: 'none',
      headers,
      ...(payload !== undefined ? { payload } : {}),
    }
  })

// -- operations, unknown paths, odd methods

const opsSpec: fc.Arbitrary<Spec> = fc
  .record({
    path: fc.constantFrom(
      '/healthz',
      '/readyz',
      '/metrics',
      '/openapi.json',
      '/docs',
      '/docs/',
      '/docs/json',
      '/docs/static/index.html',
      '/docs/static/nope.js',
    ),
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('GET') },
      { weight: 1, arbitrary: fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE') },
    ),
    query: maybe(queryString(['x', 'format', 'name']), 0.3),
    body: maybe(anyBodyText, 0.3),
    ct: maybe(contentType, 0.96),
    extra: extraHeaders,
  })
  .map(({ path, method, query, body, ct, extra }) =>
    withBodyHeaders(
      {
        kind: 'ops',
        method,
        path,
        cred: 'none',
        ...(query !== null ? { query } : {}),
        ...(body !== null && method !== 'GET' && method !== 'HEAD' ? { payload: body } : {}),
      },
      ct,
      null,
      extra,
    ),
  )

const unknownSpec: fc.Arbitrary<Spec> = fc
  .record({
    path: fc.oneof(
      fc.constantFrom(
        '/',
        '/v2',
        '/v2/hadoop-eco',
        '/v2/hadoop-eco/',
        '/v2/hadoop-eco/cluster',
        '/V2/hadoop-eco/clusters',
        '/v2//hadoop-eco/clusters',
        '/v2/hadoop-eco/clusters/{id}/nope',
        '/v2/hadoop-eco/clusters/{id}/vms/x',
        '/v2/hadoop-eco/clusters/{id}/scale-out/x',
        '/v2/hadoop-eco/clusters/{id}/events/1',
        '/v2/hadoop-eco/clusters/{id}/scale',
        '/healthz/x',
        '/metrics.json',
        '/_admin2',
        '/%zz',
        '/%00',
        `/${'a/'.repeat(2000)}`,
        `/${'b'.repeat(20_000)}`,
        '/../../etc/passwd',
        '/v2/hadoop-eco/clusters/../../../etc/passwd',
      ),
      fc.array(nastyString.map(pct), { minLength: 1, maxLength: 4 }).map((segs) => `/x-${segs.join('/')}`),
    ),
    id: clusterId(true),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'),
    cred: credArb,
    body: maybe(anyBodyText, 0.4),
    ct: maybe(contentType, 0.96),
    key: idempotencyKey,
    extra: extraHeaders,
  })
  .map(({ path, id, method, cred, body, ct, key, extra }) =>
    withBodyHeaders(
      {
        kind: 'unknown',
        method,
        path,
        id,
        cred,
        ...(body !== null && method !== 'GET' && method !== 'HEAD' ? { payload: body } : {}),
      },
      ct,
      key,
      extra,
    ),
  )

/** Every endpoint, for the header and raw-byte properties. */
const ENDPOINTS = [
  { weight: 4, arbitrary: createSpec },
  { weight: 2, arbitrary: scaleSpec },
  { weight: 3, arbitrary: clusterSpec },
  { weight: 2, arbitrary: listSpec },
  { weight: 2, arbitrary: adminSpec },
  { weight: 1, arbitrary: opsSpec },
  { weight: 1, arbitrary: unknownSpec },
]
const anySpec: fc.Arbitrary<Spec> = fc.oneof(...ENDPOINTS, { weight: 1, arbitrary: resetSpec })

/** Many random headers, some of them huge, on any request. */
const headerHeavySpec: fc.Arbitrary<Spec> = fc
  .record({
    // Not the refused resets: a random header could repair the request (a valid Idempotency-Key
    // in place of the bad one) and wipe the state.
    spec: fc.oneof(...ENDPOINTS),
    headers: fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 10 }),
    many: maybe(fc.integer({ min: 50, max: 400 }), 0.1),
  })
  .map(({ spec, headers, many }) => {
    const out = { ...spec.headers }
    for (const [k, v] of headers) out[k] = v
    if (many !== null) for (let i = 0; i < many; i++) out[`x-fz-${i}`] = `v${i}`
    return { ...spec, headers: out }
  })

/** Raw bytes: the request line, header bytes no client library would send, and body framing. */
const rawByte = fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b))
const rawSpec: fc.Arbitrary<Spec> = fc
  .record({
    spec: anySpec,
    method: maybe(
      // (Never a DELETE: llhttp takes "DELETE  /x" for a DELETE, which could end a scale target.)
      fc.constantFrom('get', 'G ET', 'FOO', 'POST\u0000', '', 'CONNECT', 'GET\t', 'GET ', 'PATCH '),
      0.1,
    ),
    target: maybe(
      fc.oneof(
        fc.constantFrom(
          '*',
          'http://127.0.0.1/healthz',
          `http://127.0.0.1${BASE}`,
          '//healthz',
          'healthz',
          `${BASE}?a=b c`,
          `${BASE}#frag`,
          `${BASE}\u0000`,
          `${BASE}/\u00ff\u00fe`,
          `${BASE}/\u007f`,
        ),
        fc.string({ unit: rawByte, maxLength: 30 }).map((s) => `/${s}`),
      ),
      0.12,
    ),
    version: fc.oneof(
      { weight: 12, arbitrary: fc.constant('HTTP/1.1') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTX/1.1', 'http/1.1', 'HTTP/1.1 x'),
      },
    ),
    host: fc.oneof(
      { weight: 15, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
    dupCredentials: fc.oneof(
      { weight: 6, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    headers: fc.array(
      fc.tuple(
        fc.oneof(
          { weight: 5, arbitrary: headerName },
          { weight: 1, arbitrary: fc.string({ unit: rawByte, minLength: 1, maxLength: 12 }) },
        ),
        fc.oneof(
          { weight: 8, arbitrary: headerValue },
          { weight: 1, arbitrary: fc.string({ unit: rawByte, maxLength: 30 }) },
          { weight: 1, arbitrary: fc.constantFrom(20_000, 70_000).map((n) => 'h'.repeat(n)) },
        ),
      ),
      { maxLength: 4 },
    ),
    framing: fc.oneof(
      { weight: 10, arbitrary: fc.constant<RawMods['framing']>('length') },
      { weight: 3, arbitrary: fc.constant<RawMods['framing']>('chunked') },
      {
        weight: 2,
        arbitrary: fc.constantFrom<RawMods['framing']>(
          'conflicting-lengths',
          'length-and-chunked',
          'bad-length',
        ),
      },
    ),
  })
  .map(({ spec, method, target, version, host, dupCredentials, headers, framing }) => ({
    ...spec,
    raw: {
      ...(method !== null ? { method } : {}),
      // A CR or LF would end the request line early (the rest an unterminated second request).
      ...(target !== null ? { target: target.replace(/\r/g, '%0D').replace(/\n/g, '%0A') } : {}),
      version,
      host,
      dupCredentials,
      headers,
      framing,
    },
  }))

/** The path the router matches (the raw request line's, if the case has its own). */
const routePath = (sent: Sent): string =>
  sent.raw?.target !== undefined
    ? new URL(sent.raw.target, 'http://127.0.0.1').pathname
    : sent.url.split('?')[0]!

/** Which endpoint a request line of the raw cases addresses, once the server has parsed it. */
const kindOfRequest = (method: string, target: string): Kind => {
  let path: string
  try {
    path = new URL(target, 'http://127.0.0.1').pathname.replace(/(.)\/$/, '$1')
  } catch {
    return 'unknown'
  }
  const id = '/[^/]+'
  if (/^\/(healthz|readyz|metrics|openapi\.json)$/.test(path) || path.startsWith('/docs')) return 'ops'
  if (path === '/_admin/reset') return 'reset'
  if (path.startsWith('/_admin')) return 'admin'
  if (path === BASE) return method === 'POST' ? 'create' : 'list'
  if (new RegExp(`^${BASE}${id}$`).test(path)) return method === 'DELETE' ? 'delete' : 'get'
  const sub = new RegExp(`^${BASE}${id}/(vms|events|scale-out|scale-in)$`).exec(path)
  return sub ? (sub[1] as Kind) : 'unknown'
}

/**
 * The request bytes. Header text never holds an empty line (it would end the header block early
 * and leave the rest as a second, unterminated request), and Connection: close comes last, so
 * the server closes the connection after its answer: a missing close is a hang.
 */
const toBytes = (sent: Sent, m: RawMods): Buffer => {
  const clean = (s: string) =>
    s
      .replace(/[\r\n]+/g, '\n')
      .replace(/\n$/, '\nx')
      .replace(/^\n/, 'x\n')
  const body = sent.payload === undefined ? undefined : Buffer.from(sent.payload, 'utf8')
  const lines = [`${m.method ?? sent.method} ${m.target ?? sent.url} ${m.version}`]
  if (m.host) lines.push('Host: 127.0.0.1')
  for (const [k, v] of Object.entries(sent.headers)) lines.push(`${clean(k)}: ${clean(v)}`)
  if (m.dupCredentials) lines.push('Credential-ID: test-id', 'credential-secret: test-secret-1234')
  for (const [k, v] of m.headers) lines.push(`${clean(k)}: ${clean(v)}`)
  let payload = Buffer.alloc(0)
  if (body !== undefined || m.framing !== 'length') {
    const b = body ?? Buffer.alloc(0)
    switch (m.framing) {
      case 'length':
        lines.push(`Content-Length: ${b.length}`)
        payload = b
        break
      case 'chunked': {
        lines.push('Transfer-Encoding: chunked')
        const half = Math.floor(b.length / 2)
        const parts = [b.subarray(0, half), b.subarray(half)].filter((p) => p.length > 0)
        payload = Buffer.concat([
          ...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]),
          Buffer.from('0\r\n\r\n'),
        ])
        break
      }
      case 'conflicting-lengths':
        lines.push(`Content-Length: ${b.length}`, `Content-Length: ${b.length + 1}`)
        payload = b
        break
      case 'length-and-chunked':
        lines.push(`Content-Length: ${b.length}`, 'Transfer-Encoding: chunked')
        payload = b
        break
      case 'bad-length':
        lines.push(`Content-Length: ${b.length}x`)
        payload = b
        break
    }
  }
  lines.push('Connection: close')
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload])
}

// ---------------------------------------------------------------------------------------------
// The server, its pools of ids, and one exchange

describe(`hardening fuzz (${TEST_BACKEND}, seed ${SEED}, ${TOTAL} cases)`, () => {
  let s: TestServer
  let port: number
  /** Rows written so far to the state tables (see createWriteCounter). */
  let writes: () => Promise<number>
  const pools = {
    /** Running clusters the scale cases target; nothing here ever deletes them. */
    protected: [] as string[],
    expendable: [] as string[],
    other: [] as string[],
    fuzzCred: [] as string[],
  }
  const fuzzCreds: { id: string; secret: string }[] = []
  /** Printed with FUZZ_STATS=1: how many requests of each kind got each status. */
  const stats = new Map<string, Record<number, number>>()
  const timing = { count: 0, exchange: 0, settle: 0 }

  const pick = <T>(list: readonly T[], i: number): T | undefined => list[i % Math.max(1, list.length)]

  const resolve = (spec: Spec): Sent => {
    let path = spec.path
    if (spec.id && path.includes('{id}')) {
      const ref = spec.id
      const id = 'literal' in ref ? ref.literal : pct(pick(pools[ref.pool], ref.i) ?? 'none-yet')
      path = path.replace('{id}', id)
    }
    const cred = spec.cred
    const credHeaders: Record<string, string> =
      cred === 'valid'
        ? s.headers
        : cred === 'other'
          ? s.otherHeaders
          : cred === 'none'
            ? {}
            : 'fuzz' in cred
              ? ((c): Record<string, string> =>
                  c ? { 'credential-id': c.id, 'credential-secret': c.secret } : {})(
                  pick(fuzzCreds, cred.fuzz),
                )
              : cred.headers
    const url = spec.query !== undefined ? `${path}?${spec.query}` : path
    // A raw request line of its own goes somewhere else than the spec said (the server takes
    // "GET  /x" for a GET).
    const rawLine = spec.raw && (spec.raw.target !== undefined || spec.raw.method !== undefined)
    const method = spec.raw?.method?.trim() ?? spec.method
    return {
      kind: rawLine ? kindOfRequest(method, spec.raw?.target ?? url) : spec.kind,
      method,
      url,
      headers: { ...credHeaders, ...spec.headers },
      ...(spec.payload !== undefined ? { payload: spec.payload } : {}),
      ...(spec.raw ? { raw: spec.raw } : {}),
    }
  }

  const bounded = <T>(p: Promise<T>, what: string): Promise<T> =>
    new Promise((res, rej) => {
      const t = setTimeout(() => rej(new HangError(`${what}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
      p.then(
        (v) => (clearTimeout(t), res(v)),
        (e: unknown) => (clearTimeout(t), rej(e)),
      )
    })

  const exchange = async (sent: Sent): Promise<Resp> => {
    if (sent.raw) {
      const bytes = await rawExchange(port, toBytes(sent, sent.raw), TIMEOUT_MS)
      if (bytes.length === 0) throw new Error(`the server closed the connection without an answer`)
      const r = parseResponse(bytes, sent.method)
      return { status: r.status, headers: r.headers, body: r.body.toString('utf8') }
    }
    const res = await bounded(
      s.app.inject({
        method: sent.method as 'GET',
        url: sent.url,
        headers: sent.headers,
        ...(sent.payload !== undefined ? { payload: sent.payload } : {}),
      }),
      `${sent.method} ${sent.url.slice(0, 200)}`,
    )
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
    return { status: res.statusCode, headers, body: res.body }
  }

  /** What a 2xx must look like, by endpoint. */
  const expect2xx = (sent: Sent, r: Resp, ctx: string) => {
    const path = routePath(sent)
    const m = sent.method
    // Fastify answers HEAD on every GET route, without a body.
    if (m === 'HEAD' && sent.kind !== 'unknown' && sent.kind !== 'reset') {
      expect(r.body, ctx).toBe('')
      return
    }
    const ref = (status: string) => {
      const body = expectShape(SHAPES.clusterRef, r, ctx) as { status: string }
      expect(body.status, ctx).toBe(status)
    }
    switch (`${sent.kind} ${m}`) {
      case 'create POST':
        return ref('Initializing')
      case 'list GET':
        return void expectShape(SHAPES.clusterPage, r, ctx)
      case 'get GET':
        return void expectShape(SHAPES.cluster, r, ctx)
      case 'vms GET':
        return void expectShape(SHAPES.vmPage, r, ctx)
      case 'events GET':
        return void expectShape(SHAPES.eventPage, r, ctx)
      case 'delete DELETE':
        return ref('Terminating')
      case 'scale-out POST':
      case 'scale-in POST':
      case 'scale-in DELETE':
        return ref('Processing')
      case 'admin POST':
        if (path === '/_admin/credentials') return void expectShape(SHAPES.newCredential, r, ctx)
        if (path === '/_admin/faults') return void expectShape(SHAPES.fault, r, ctx)
        break
      case 'admin GET':
        if (/^\/_admin\/credentials\/?$/.test(path)) return void expectShape(SHAPES.credentials, r, ctx)
        if (/^\/_admin\/faults\/?$/.test(path)) {
          // Every fault the fuzz creates is deleted at once: the list is always empty.
          expect(expectShape(SHAPES.faults, r, ctx), ctx).toEqual([])
          return
        }
        break
      case 'admin DELETE':
        expect(r.status, ctx).toBe(204)
        expect(r.body, ctx).toBe('')
        return
      case 'ops GET':
        if (path === '/healthz') return void expect(JSON.parse(r.body), ctx).toEqual({ status: 'ok' })
        if (path === '/metrics') return void expect(r.headers['content-type'], ctx).toMatch(/^text\/plain/)
        if (path === '/openapi.json')
          return void expect((JSON.parse(r.body) as { openapi: string }).openapi, ctx).toMatch(/^3\./)
        if (path.startsWith('/docs')) return void expect(r.headers['content-type'], ctx).toBeTruthy()
        break
      default:
        break
    }
    throw new Error(`unexpected ${r.status}: ${ctx}`)
  }

  const settle = async (id: string) => {
    const t2 = performance.now()
    await s.runUntil(async () => (await s.store.clusters.getById(id))?.status !== 'Processing', {
      tick: 1000,
      maxMs: 600_000,
    })
    timing.settle += performance.now() - t2
  }

  /** Sends one request and checks every property; returns it and its response for follow-ups. */
  const run = async (spec: Spec): Promise<{ sent: Sent; r: Resp }> => {
    const sent = resolve(spec)
    const before = await writes()
    const t1 = performance.now()
    const r = await exchange(sent)
    timing.exchange += performance.now() - t1
    const after = await writes()
    const kind = `${sent.kind}${sent.raw ? ' (raw)' : ''}`
    const counts = stats.get(kind) ?? {}
    counts[r.status] = (counts[r.status] ?? 0) + 1
    stats.set(kind, counts)
    const ctx = `${describeExchange(sent, r)}${sent.raw ? ' [raw socket]' : ''}`
    // The path the server saw: the raw target as sent, or for inject what light-my-request makes
    // of the URL (it resolves it with WHATWG URL rules: dot segments, %2e, escapes).
    const path = sent.raw
      ? (sent.raw.target ?? sent.url).split('?')[0]!
      : new URL(sent.url.startsWith('//') ? `http://localhost${sent.url}` : sent.url, 'http://localhost')
          .pathname
    const method = sent.method
    const readyz = path === '/readyz' && r.status === 503
    if (readyz) {
      // DESIGN section 6: /readyz says "not ready" while the reconciler is stopped (as it is here).
      if (method !== 'HEAD')
        expect(JSON.parse(r.body), ctx).toEqual({
          status: 'not ready',
          checks: { database: 'ok', reconciler: 'stopped' },
        })
    } else expect(r.status, `5xx: ${ctx}`).toBeLessThan(500)
    expect(r.status, ctx).toBeGreaterThanOrEqual(200)
    const replayed = r.headers['idempotent-replayed'] === 'true'
    if (r.status >= 400 || readyz) {
      if (method === 'HEAD') {
        // A HEAD answer has no body by definition: only the status and the request id to check.
        expect(r.headers['x-request-id'], ctx).toBeTruthy()
        expect(r.body, ctx).toBe('')
      } else if (!readyz) expectEnvelope(r, path, ctx, !!sent.raw)
    } else if (r.status >= 300) {
      // Swagger UI redirects under /docs; / and /console lead to the web console at /console/.
      const redirects = path.startsWith('/docs') || path === '/' || path === '/console'
      expect(redirects, `unexpected redirect: ${ctx}`).toBe(true)
    } else {
      expect(r.headers['x-request-id'], ctx).toBeTruthy()
      expect2xx(sent, r, ctx)
    }
    if (r.status >= 400 || method === 'GET' || method === 'HEAD' || replayed)
      expect(after - before, `rows written by a request that must not change state: ${ctx}`).toBe(0)
    return { sent, r }
  }

  /** Follow-ups of an accepted mutation: remember new ids, undo faults, let scales finish. */
  const afterAccepted = async (sent: Sent, r: Resp) => {
    if (r.status >= 300 || r.headers['idempotent-replayed'] === 'true') return
    const path = routePath(sent)
    if (sent.kind === 'create' && sent.method === 'POST') {
      const { id, name } = JSON.parse(r.body) as { id: string; name: string }
      pools.expendable.push(id)
      // The accepted create is there (the credential that made it may have come from anywhere in
      // the request, so ask the store).
      const created = await s.store.clusters.getById(id)
      expect(created?.name).toBe(name)
      expect(created?.status).toBe('Initializing')
    }
    if ((sent.kind === 'scale-out' || sent.kind === 'scale-in') && sent.method !== 'GET')
      await settle((JSON.parse(r.body) as { id: string }).id)
    if (sent.kind === 'admin' && sent.method === 'POST' && path === '/_admin/credentials') {
      const c = JSON.parse(r.body) as { id: string; secret: string }
      fuzzCreds.push(c)
      pools.fuzzCred.push(c.id)
    }
    if (sent.kind === 'admin' && sent.method === 'POST' && path === '/_admin/faults') {
      const fault = JSON.parse(r.body) as { id: string; fault: string; status?: number }
      // While it exists, a request is matched against it: quickly, and answered as configured.
      // (Not through run(): a fault with `times` legitimately counts the hit in the database.)
      const probePath = `${BASE}/${'a'.repeat(40)}/vms`
      const started = performance.now()
      const probe = await exchange({ kind: 'vms', method: 'GET', url: probePath, headers: s.headers })
      const probeCtx = `probe with fault ${r.body}: ${describeExchange({ method: 'GET', url: probePath }, probe)}`
      expect(performance.now() - started, probeCtx).toBeLessThan(1000)
      if (probe.status === 404) expectEnvelope(probe, probePath, probeCtx)
      else {
        expect(fault.fault, probeCtx).toBe('apiError')
        expect(probe.status, probeCtx).toBe(fault.status ?? 500)
        expect(probe.headers['x-request-id'], probeCtx).toBeTruthy()
        const body = JSON.parse(probe.body) as Record<string, unknown>
        expect(Object.keys(body).sort(), probeCtx).toEqual(ENVELOPE_KEYS)
        expect(body, probeCtx).toMatchObject({
          status: probe.status,
          code: 'INJECTED_FAULT',
          path: probePath,
        })
      }
      // A live fault would change what every later request gets: take it away at once.
      const { id } = fault
      const { r: del } = await run({
        kind: 'admin',
        method: 'DELETE',
        path: '/_admin/faults/{id}',
        id: { literal: id },
        cred: 'none',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
      expect(del.status).toBe(204)
    }
  }

  const property = async (index: number, name: string, share: number, arb: fc.Arbitrary<Spec>) => {
    const numRuns = Math.max(1, Math.round(TOTAL * share))
    const seed = SEED + index
    try {
      await fc.assert(
        fc.asyncProperty(arb, async (spec) => {
          const { sent, r } = await run(spec)
          await afterAccepted(sent, r)
        }),
        { seed, numRuns },
      )
    } catch (e) {
      // fast-check's report names this property's seed; the base seed replays the whole file.
      ;(e as Error).message =
        `[${name}] reproduce with FUZZ_SEED=${SEED} (property seed ${seed})\n${(e as Error).message}`
      throw e
    }
  }

  beforeAll(async () => {
    // The failed-authentication limit per address would, after a few hundred of the fuzz's wrong
    // credentials, answer every later request 429 and leave the rest of the run untested; it is
    // raised (not disabled: it still counts) and has its own tests (src/api/plugins/rate-limit.test.ts).
    s = await startTestServer({ timeScale: 0.001, authFailureLimit: 1_000_000 })
    await s.app.listen({ port: 0, host: '127.0.0.1' })
    port = (s.app.server.address() as { port: number }).port
    const counter = await createWriteCounter(s.store.database)
    writes = async () => {
      const t0 = performance.now()
      const n = await counter.writes()
      timing.count += performance.now() - t0
      return n
    }
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const create = async (body: Record<string, unknown>, headers = s.headers) => {
      const res = await s.app.inject({ method: 'POST', url: BASE, headers, payload: body })
      expect(res.statusCode, res.body).toBe(200)
      return (res.json() as { id: string }).id
    }
    const statusOf = async (id: string) => (await s.store.clusters.getById(id))?.status
    // A userTask that fails (taskFailure) with terminationPolicy onSuccess: Running, not scalable.
    const fault = await s.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: admin,
      payload: { match: { clusterName: 'fz-unscalable' }, fault: 'taskFailure' },
    })
    expect(fault.statusCode, fault.body).toBe(201)
    const scalable = await create(
      validBody({ name: 'fz-scalable', workerCnt: 5, config: { hdfsReplication: 1, hdfsBlockSize: 128 } }),
    )
    const atFloor = await create(validBody({ name: 'fz-at-floor' }))
    const unscalable = await create(
      validBody({
        name: 'fz-unscalable',
        userTask: { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select 1' },
      }),
    )
    const doomed = await create(validBody({ name: 'fz-doomed' }))
    const other = await create(validBody({ name: 'fz-other' }), s.otherHeaders)
    await s.runUntil(async () => {
      const st = await Promise.all([scalable, atFloor, unscalable, doomed, other].map(statusOf))
      return st.every((x) => x === 'Running')
    })
    // Long enough for the task to have run (and failed) on the unscalable one.
    await s.step(600_000)
    await s.step(600_000)
    expect(await statusOf(unscalable)).toBe('Running')
    const del = await s.app.inject({ method: 'DELETE', url: `${BASE}/${doomed}`, headers: s.headers })
    expect(del.statusCode, del.body).toBe(200)
    await s.runUntil(async () => (await statusOf(doomed)) === 'Terminated(User)')
    const initializing = await create(validBody({ name: 'fz-initializing' }))
    const faultId = (fault.json() as { id: string }).id
    expect(
      (await s.app.inject({ method: 'DELETE', url: `/_admin/faults/${faultId}`, headers: admin })).statusCode,
    ).toBe(204)
    // The write counter sees the set-up's writes, and none from a read.
    const setupWrites = await writes()
    expect(setupWrites).toBeGreaterThan(50)
    expect((await s.app.inject({ method: 'GET', url: BASE, headers: s.headers })).statusCode).toBe(200)
    expect(await writes()).toBe(setupWrites)
    pools.protected.push(scalable, atFloor, unscalable)
    pools.expendable.push(doomed, initializing)
    pools.other.push(other)
  }, 120_000)

  afterAll(async () => {
    if (process.env.FUZZ_STATS)
      console.log(
        JSON.stringify(timing),
        [...stats].map(([kind, counts]) => `${kind}: ${JSON.stringify(counts)}`).join('\n'),
      )
    await s?.cleanup()
  })

  const T = (share: number) => Math.max(60_000, TOTAL * share * 200)

  it(
    'create: mutated valid bodies (wrong types, huge numbers, unicode, prototype keys, damaged text)',
    async () => {
      await property(0, 'create', 0.3, createSpec)
    },
    T(0.3),
  )

  it(
    'scale-out and scale-in: bodies, ids, methods',
    async () => {
      await property(1, 'scale', 0.1, scaleSpec)
    },
    T(0.1),
  )

  it(
    'get, vms, events, delete: existing and random ids, random queries',
    async () => {
      await property(2, 'cluster', 0.12, clusterSpec)
    },
    T(0.12),
  )

  it(
    'list: random query strings (paging, sort, filters, SQL metacharacters, broken escapes)',
    async () => {
      await property(3, 'list', 0.08, listSpec)
    },
    T(0.08),
  )

  it(
    'admin API: tokens, bodies, ids; reset only ever refused',
    async () => {
      await property(4, 'admin', 0.1, adminSpec)
      await property(5, 'reset', 0.02, resetSpec)
    },
    T(0.12),
  )

  it(
    'operations endpoints, unknown paths and odd methods',
    async () => {
      await property(6, 'ops', 0.03, opsSpec)
      await property(7, 'unknown', 0.05, unknownSpec)
    },
    T(0.08),
  )

  it(
    'random headers on every endpoint (inject)',
    async () => {
      await property(8, 'headers', 0.08, headerHeavySpec)
    },
    T(0.08),
  )

  it(
    'raw bytes over a real socket: request line, header bytes, framing',
    async () => {
      await property(9, 'raw', 0.12, rawSpec)
    },
    T(0.12),
  )

  it('afterwards the server still creates and serves a cluster normally', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: BASE,
      headers: s.headers,
      payload: validBody({ name: 'fz-after-all' }),
    })
    expect(res.statusCode, res.body).toBe(200)
    const { id } = res.json() as { id: string }
    const got = await s.app.inject({ method: 'GET', url: `${BASE}/${id}`, headers: s.headers })
    expect(got.statusCode, got.body).toBe(200)
    expect(got.json()).toMatchObject({ id, name: 'fz-after-all', status: 'Initializing', workerCnt: 3 })
    // And over the real listener.
    const over = parseResponse(
      await rawExchange(
        port,
        Buffer.from(
          `GET ${BASE}/${id} HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\nConnection: close\r\n\r\n`,
        ),
        TIMEOUT_MS,
      ),
      'GET',
    )
    expect(over.status).toBe(200)
    expect(JSON.parse(over.body.toString('utf8'))).toMatchObject({ id, name: 'fz-after-all' })
  })
})
