import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, b64, BASE, createCluster, createRunning, expectError } from './util.js'

/** What `certutil -encode` writes (the seed's advice for Windows): armour lines, 64 columns, CRLF. */
const certutil = (plain: string) =>
  [
    '-----BEGIN CERTIFICATE-----',
    ...(b64(plain).match(/.{1,64}/g) ?? []),
    '-----END CERTIFICATE-----',
    '',
  ].join('\r\n')

const configText = JSON.stringify({
  configurations: [{ classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } }],
})
const script = '#!/bin/bash\necho "hello from the user script, long enough to wrap at 64 columns"\n'

describe('Base64 fields in certutil armour', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  it('accepts every Base64 field armoured, and stores and shows the bare Base64', async () => {
    expect(certutil(configText).split('\r\n').length).toBeGreaterThan(4)
    const id = await createCluster(s, {
      name: 'from-windows',
      adminInfo: { userId: 'admin', userPw: certutil('Admin-Passw0rd!') },
      config: {
        hdfsReplication: 3,
        hdfsBlockSize: 128,
        configText: certutil(configText),
        userScript: certutil(script),
      },
      hiveDbInfo: { objectId: 'mysql-1', dbName: 'hive', userId: 'hive', userPw: certutil('hive-pw') },
    })
    const view = (await api(s).get(id)).json()
    expect(view.config.configText).toBe(b64(configText))
    const stored = await s.store.clusters.getById(id)
    expect(stored?.spec.config.configText).toBe(b64(configText))
    expect(stored?.spec.config.userScript).toBe(b64(script))
    expect(JSON.stringify(stored?.spec)).not.toContain('CERTIFICATE')
    expect(JSON.stringify(stored?.spec)).not.toContain('\\r\\n')
  })

  it('still refuses armour around text that is not Base64', async () => {
    const res = await api(s).create({
      ...validBody({ name: 'bad-armour' }),
      adminInfo: {
        userId: 'a',
        userPw: '-----BEGIN CERTIFICATE-----\r\nnot base64!\r\n-----END CERTIFICATE-----\r\n',
      },
    })
    const body = expectError(res, 400, 'INVALID_BASE64')
    expect(body.errors[0]?.field).toBe('adminInfo.userPw')
  })
})

describe('a body that is not valid JSON', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  const post = (url: string, payload: string) =>
    s.app.inject({
      method: 'POST',
      url,
      headers: { ...s.headers, 'content-type': 'application/json' },
      payload,
    })

  it('gives the line and column of the first error', async () => {
    const text = '{\n  "name": "x",\n  "workerCnt": ,\n  "isHa": false\n}'
    const body = expectError(await post(BASE, text), 400, 'INVALID_JSON')
    expect(body.message).toMatch(/^request body is not valid JSON: .* at line 3, column 16$/)
    const missingComma = '{\r\n  "name": "x"\r\n  "isHa": false\r\n}'
    expect(expectError(await post(BASE, missingComma), 400, 'INVALID_JSON').message).toBe(
      "request body is not valid JSON: Expected ',' or '}' after property value at line 3, column 3",
    )
    expect(expectError(await post(BASE, '{"name": "x"'), 400, 'INVALID_JSON').message).toMatch(
      /at line 1, column 13$/,
    )
  })

  it("hints at curly quotes, as the seed's scale-out example has them", async () => {
    const id = await createRunning(s, { name: 'curly' })
    const seedExample = '{\n\u201cscaleCnt\u201d: 3\n}'
    const body = expectError(await post(`${BASE}/${id}/scale-out`, seedExample), 400, 'INVALID_JSON')
    expect(body.message).toContain('at line 2, column 1')
    expect(body.message).toContain('curly quotes')
    expect(body.message).toContain('straight quotes')
    const plain = expectError(await post(`${BASE}/${id}/scale-out`, '{"scaleCnt": 3,}'), 400, 'INVALID_JSON')
    expect(plain.message).not.toContain('curly')
  })

  it('still refuses a __proto__ key, saying so', async () => {
    const body = expectError(await post(BASE, '{"__proto__": {"x": 1}}'), 400, 'INVALID_JSON')
    expect(body.message).toContain('__proto__')
  })
})
