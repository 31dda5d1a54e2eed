/**
 * JSON bodies as raw text, for the fuzz: a small tree whose leaves are literal tokens, so a body
 * can hold what JSON.stringify cannot write (`__proto__` as an own key, duplicate keys, `1e400`,
 * `-0`, `2^53+1` exactly as typed, 10k levels of nesting, lone surrogates) and still be mutated
 * path by path starting from a valid create body.
 */
import fc from 'fast-check'

export type JNode =
  /** A literal token, written as is: a number, true/false/null, an encoded string, or any raw text. */
  { k: 'raw'; text: string } | { k: 'arr'; items: JNode[] } | { k: 'obj'; entries: [string, JNode][] }

export const raw = (text: string): JNode => ({ k: 'raw', text })
export const str = (s: string): JNode => raw(JSON.stringify(s))

export const fromValue = (v: unknown): JNode => {
  if (Array.isArray(v)) return { k: 'arr', items: v.map(fromValue) }
  if (typeof v === 'object' && v !== null)
    return { k: 'obj', entries: Object.entries(v).map(([key, val]) => [key, fromValue(val)]) }
  return raw(JSON.stringify(v) ?? 'null')
}

export const render = (n: JNode): string => {
  switch (n.k) {
    case 'raw':
      return n.text
    case 'arr':
      return `[${n.items.map(render).join(',')}]`
    case 'obj':
      return `{${n.entries.map(([key, v]) => `${JSON.stringify(key)}:${render(v)}`).join(',')}}`
  }
}

const clone = (n: JNode): JNode =>
  n.k === 'raw'
    ? n
    : n.k === 'arr'
      ? { k: 'arr', items: n.items.map(clone) }
      : { k: 'obj', entries: n.entries.map(([key, v]) => [key, clone(v)]) }

export type Mutation =
  | { op: 'set'; path: string[]; value: JNode }
  | { op: 'delete'; path: string[] }
  /** Appends the key again: JSON.parse keeps the last, and the earlier one must not matter. */
  | { op: 'duplicate'; path: string[]; value: JNode }

/** Applies mutations to a copy of `root`; a path through a non-object replaces it with an object. */
export const mutate = (root: JNode, mutations: readonly Mutation[]): JNode => {
  const out = clone(root)
  for (const m of mutations) {
    const { path } = m
    if (path.length === 0) continue
    let cur = out
    for (let i = 0; i < path.length - 1; i++) {
      if (cur.k !== 'obj') break
      const key = path[i]!
      let entry = [...cur.entries].reverse().find(([k]) => k === key)
      if (!entry) {
        if (m.op === 'delete') break
        entry = [key, { k: 'obj', entries: [] }]
        cur.entries.push(entry)
      }
      if (entry[1].k !== 'obj') {
        if (m.op === 'delete') break
        entry[1] = { k: 'obj', entries: [] }
      }
      cur = entry[1]
    }
    if (cur.k !== 'obj') continue
    const last = path[path.length - 1]!
    if (m.op === 'delete') cur.entries = cur.entries.filter(([k]) => k !== last)
    else if (m.op === 'duplicate') cur.entries.push([last, m.value])
    else {
      const i = cur.entries.findIndex(([k]) => k === last)
      if (i >= 0) cur.entries[i] = [last, m.value]
      else cur.entries.push([last, m.value])
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Values

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const configDoc = (props: Record<string, string>) =>
  JSON.stringify({ configurations: [{ classification: 'core-site', properties: props }] })

/** Nesting as raw text: `depth` levels of arrays or objects (10k levels is 20-50 KB). */
export const deepText = (depth: number, kind: 'arr' | 'obj'): string =>
  kind === 'arr'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const

/** `arb` with probability `p`, else null. */
export const maybe = <T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | null> =>
  fc.oneof(
    { weight: Math.round((1 - p) * 1000), arbitrary: fc.constant(null) },
    { weight: Math.round(p * 1000), arbitrary: arb },
  )

/** Strings that have broken parsers, loggers and SQL before. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n',
      '\u0000',
      'a\u0000b',
      '\ud800',
      '\udc00abc',
      'x\ud83d',
      '\u202eevil\u202c',
      '\ufeff',
      '\u200b',
      '😀',
      'ǅ',
      '\u0085\u2028\u2029',
      "' OR 1=1 --",
      '"; drop table clusters; --',
      '%',
      '_',
      '\\',
      '%_\\%',
      ';',
      '${jndi:ldap://x}',
      '{{7*7}}',
      '../../../etc/passwd',
      '<script>alert(1)</script>',
      '__proto__',
      'constructor',
      'null',
      'true',
      '0',
      '1e400',
      'NaN',
    ),
  },
  // Short mixes of the characters that break things most often.
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(
        '\u0000',
        '\ud800',
        '\udfff',
        '%',
        '_',
        '\\',
        "'",
        '"',
        ';',
        '-',
        'a',
        '\u202e',
        '\r',
        '\n',
      ),
      minLength: 1,
      maxLength: 8,
    }),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000).map((n) => 'x'.repeat(n)) },
)

/** Number tokens exactly as a client could type them. */
export const nastyNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '-0.0',
    '1',
    '-1',
    '3',
    '1.5',
    '3.0',
    '1e2',
    '1E1',
    '5e1',
    '1e400',
    '-1e400',
    '1e-400',
    '9007199254740993',
    '-9007199254740993',
    '18446744073709551617',
    '1.7976931348623157e308',
    '4.9e-324',
    '0.1e1',
    '1000',
    '1001',
    '5120',
    '5121',
    '49',
    '50',
    '2147483648',
    '100000000000000000000000000000',
  ),
  fc.integer({ min: -2000, max: 6000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
)

/** Any JSON value, many of them hostile; `depth` bounds the recursion of generated containers. */
export const nastyValue: fc.Arbitrary<JNode> = fc.letrec<{ v: JNode }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(raw('null'), raw('true'), raw('false')),
    nastyNumberText.map(raw),
    nastyString.map(str),
    fc
      .constantFrom(10, 1_000, 10_000)
      .chain((d) => fc.constantFrom(raw(deepText(d, 'arr')), raw(deepText(d, 'obj')))),
    fc.array(tie('v'), { maxLength: 3 }).map((items): JNode => ({ k: 'arr', items })),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 8 })), tie('v')), {
        maxLength: 3,
      })
      .map((entries): JNode => ({ k: 'obj', entries })),
    fc.jsonValue({ maxDepth: 2 }).map(fromValue),
  ),
})).v

// ---------------------------------------------------------------------------------------------
// Create-body paths, each with values that keep the body valid (or nearly so) so that many
// mutated bodies get deep into validation and some succeed.

const validName = fc.stringMatching(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/)
const url = fc.constantFrom(
  'https://objectstorage.example.com/b/conf.json',
  'http://10.0.0.1/x',
  'ftp://host/x',
  'not a url',
  'http://',
  'https://[::1]/x',
  'javascript:alert(1)',
  'file:///etc/passwd',
)
const base64Value = fc.oneof(
  fc.string({ maxLength: 30 }).map(b64),
  fc.constantFrom('cGFzcw==', 'cGFzcw', 'cGF zcw==', '====', '', 'cGFz\ncw==', 'cGFzcw==\n', '***'),
)
const configText = fc.oneof(
  fc
    .dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 })
    .map((p) => b64(configDoc(p))),
  fc.constantFrom(
    b64('{"configurations":[]}'),
    b64('{"configurations":[{"classification":"","properties":{}}]}'),
    b64('{"configurations":[{"classification":"x","properties":{"a":1}}]}'),
    b64('[]'),
    b64('not json'),
    b64(deepText(5_000, 'arr')),
    b64(`{"configurations":${deepText(5_000, 'arr')}}`),
  ),
)
const userTask = fc.record(
  {
    type: fc.constantFrom('hive', 'spark', 'pig'),
    terminationPolicy: fc.constantFrom('never', 'onSuccess', 'always', 'sometimes'),
    fileUrl: url,
    hiveQuery: fc.constantFrom('select 1', '', ' '),
    deployMode: fc.constantFrom('cluster', 'client', 'local'),
    execOpts: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: ['type', 'terminationPolicy'] },
)

const valid = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<JNode> => a.map(fromValue)

export const CREATE_PATHS: readonly { path: string[]; values: fc.Arbitrary<JNode> }[] = [
  { path: ['name'], values: valid(validName) },
  { path: ['clusterType'], values: valid(fc.constantFrom('hadoop', 'hbase', 'trino', 'dataflow', 'HADOOP')) },
  {
    path: ['clusterVersion'],
    values: valid(fc.constantFrom('hde-1.1.2', 'hde-2.0.1', 'hde-2.1.0', 'hde-2.2.0', 'hde-9')),
  },
  { path: ['isHa'], values: valid(fc.boolean()) },
  { path: ['keypairName'], values: valid(fc.string({ maxLength: 10 })) },
  {
    path: ['masterFlavorName'],
    values: valid(fc.constantFrom('m2a.xlarge', 'c2a.large', 'r2a.24xlarge', 'x')),
  },
  { path: ['workerFlavorName'], values: valid(fc.constantFrom('m2a.large', 'c2a.16xlarge', 'M2A.LARGE')) },
  { path: ['masterVolumeSize'], values: valid(fc.integer({ min: 40, max: 5200 })) },
  { path: ['workerVolumeSize'], values: valid(fc.integer({ min: 40, max: 5200 })) },
  { path: ['workerCnt'], values: valid(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(1001))) },
  { path: ['monitoring'], values: valid(fc.boolean()) },
  { path: ['securityGroupIds'], values: valid(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 })) },
  { path: ['securityGroupName'], values: valid(fc.string({ maxLength: 6 })) },
  { path: ['vpcId'], values: valid(fc.string({ maxLength: 6 })) },
  { path: ['subnetId'], values: valid(fc.string({ maxLength: 6 })) },
  {
    path: ['adminInfo'],
    values: valid(fc.record({ userId: fc.string({ maxLength: 6 }), userPw: fc.string().map(b64) })),
  },
  { path: ['adminInfo', 'userPw'], values: valid(base64Value) },
  { path: ['config'], values: valid(fc.record({ hdfsReplication: fc.nat(4), hdfsBlockSize: fc.nat(1100) })) },
  {
    path: ['config', 'hdfsReplication'],
    values: valid(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(501))),
  },
  { path: ['config', 'hdfsBlockSize'], values: valid(fc.integer({ min: 0, max: 1025 })) },
  { path: ['config', 'BlockSize'], values: valid(fc.integer({ min: 0, max: 1025 })) },
  { path: ['config', 'configText'], values: valid(configText) },
  { path: ['config', 'configFileUrl'], values: valid(url) },
  { path: ['config', 'fileUrl'], values: valid(url) },
  { path: ['config', 'userScript'], values: valid(base64Value) },
  { path: ['config', 'userScriptFileUrl'], values: valid(url) },
  { path: ['userTask'], values: valid(userTask) },
  { path: ['userTask', 'type'], values: valid(fc.constantFrom('hive', 'spark')) },
  { path: ['userTask', 'hiveQuery'], values: valid(fc.string({ maxLength: 10 })) },
  {
    path: ['hiveDbInfo'],
    values: valid(
      fc.record({
        objectId: fc.constantFrom('db-1', ''),
        dbName: fc.constantFrom('hive'),
        userId: fc.constantFrom('admin'),
        userPw: base64Value,
      }),
    ),
  },
  { path: ['dataCatalogInfo'], values: valid(fc.record({ catalogId: fc.string({ maxLength: 6 }) })) },
  { path: ['dataCatalog'], values: valid(fc.record({ catalogId: fc.string({ maxLength: 6 }) })) },
  {
    path: ['redisInfo'],
    values: valid(
      fc.record(
        { objectId: fc.constantFrom('r-1', ''), dbIdSupersetCelery: fc.integer({ min: -1, max: 16 }) },
        { requiredKeys: ['objectId'] },
      ),
    ),
  },
  { path: ['redisInfo', 'dbIdSupersetResults'], values: valid(fc.integer({ min: -1, max: 16 })) },
  // Prototype-pollution keys as own keys, at the top and inside nested objects.
  ...PROTO_KEYS.flatMap((key) => [
    { path: [key], values: valid(fc.constantFrom({ polluted: true }, { isHa: true }, 1)) },
    { path: ['config', key], values: valid(fc.constantFrom({ hdfsReplication: 1 }, {})) },
    { path: ['userTask', key], values: valid(fc.constantFrom({ type: 'hive' }, null)) },
  ]),
  { path: ['constructor', 'prototype'], values: valid(fc.constant({ polluted: true })) },
  // Unknown fields are ignored (DESIGN section 3), whatever they hold.
  { path: ['extra'], values: valid(fc.constant('x')) },
]

const pathArb: fc.Arbitrary<{ path: string[]; values: fc.Arbitrary<JNode> }> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CREATE_PATHS) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...PROTO_KEYS)), {
        minLength: 1,
        maxLength: 3,
      })
      .map((path) => ({ path, values: nastyValue })),
  },
)

export const mutationArb: fc.Arbitrary<Mutation> = pathArb.chain(({ path, values }) =>
  fc.oneof(
    // A value meant for this path (often valid), or anything at all.
    { weight: 5, arbitrary: values.map((value): Mutation => ({ op: 'set', path, value })) },
    { weight: 4, arbitrary: nastyValue.map((value): Mutation => ({ op: 'set', path, value })) },
    { weight: 2, arbitrary: fc.constant<Mutation>({ op: 'delete', path }) },
    { weight: 1, arbitrary: nastyValue.map((value): Mutation => ({ op: 'duplicate', path, value })) },
  ),
)

/** Breaks the text itself: truncation, a stray byte, a BOM, a trailing comma. */
export const textDamage: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.nat().map((n) => (t: string) => t.slice(0, n % Math.max(1, t.length))),
  fc.tuple(fc.nat(), fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', '\ud800', 'x')).map(
    ([n, ch]) =>
      (t: string) =>
        `${t.slice(0, n % (t.length + 1))}${ch}${t.slice(n % (t.length + 1))}`,
  ),
  fc.constantFrom(
    (t: string) => `\ufeff${t}`,
    (t: string) => t.replace(/}$/, ',}'),
    (t: string) => `${t}${t}`,
    (t: string) => `${t} garbage`,
    (t: string) => t.replace(/"/g, "'"),
  ),
)

/** Random mutations of `base`, rendered to text. */
export const mutatedBodyText = (base: unknown): fc.Arbitrary<string> =>
  fc
    .record({
      mutations: fc.array(mutationArb, { minLength: 0, maxLength: 4 }),
      damage: maybe(textDamage, 0.08),
    })
    .map(({ mutations, damage }) => {
      const text = render(mutate(fromValue(base), mutations))
      return damage ? damage(text) : text
    })
