import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { emptySpec, formField, fromBase64, fromRequest, toBase64, toRequest } from './spec.js'

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >

describe('the create form and the API body', () => {
  it('Base64 is UTF-8, padded, and read back', () => {
    expect(toBase64('Admin-Passw0rd!')).toBe('QWRtaW4tUGFzc3cwcmQh')
    expect(toBase64('Pässwörd ✓')).toBe(Buffer.from('Pässwörd ✓', 'utf8').toString('base64'))
    expect(fromBase64(toBase64('#!/bin/bash\necho héllo\n'))).toBe('#!/bin/bash\necho héllo\n')
    // Not Base64: kept as typed, for the server to refuse with its own message.
    expect(fromBase64('not base64!')).toBe('not base64!')
  })

  it.each(['create-example-1.json', 'create-example-2.json', 'create-example-3.json'])(
    'a seed example imported and exported is the same request (%s)',
    (name) => {
      const seed = fixture(name)
      const out = toRequest(fromRequest(seed)) as unknown as Record<string, unknown>
      // The seed's aliases come back under their documented names.
      const expected = structuredClone(seed) as Record<string, Record<string, unknown>>
      if (expected.dataCatalog) {
        expected.dataCatalogInfo = expected.dataCatalog
        delete expected.dataCatalog
      }
      if (expected.config?.fileUrl) {
        expected.config.configFileUrl = expected.config.fileUrl
        delete expected.config.fileUrl
      }
      if (expected.config?.BlockSize !== undefined) {
        expected.config.hdfsBlockSize = expected.config.BlockSize
        delete expected.config.BlockSize
      }
      expect(out).toEqual(expected)
    },
  )

  it('the form shows Base64 fields as text, and sends them encoded', () => {
    const form = fromRequest(fixture('create-example-1.json'))
    expect(form.adminInfo.userPw).toBe('Admin-Passw0rd!')
    expect(JSON.parse(form.config.configText)).toEqual({
      configurations: [{ classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } }],
    })
    form.config.userScript = 'echo hi'
    expect(toRequest(form).config.userScript).toBe('ZWNobyBoaQ==')
  })

  it('empty optional fields are left out; required ones are sent for the server to name', () => {
    const body = toRequest(emptySpec()) as unknown as Record<string, unknown>
    expect(body).toMatchObject({
      name: '',
      vpcId: '',
      workerCnt: 2,
      config: { hdfsReplication: 2, hdfsBlockSize: 128 },
    })
    for (const k of [
      'adminInfo',
      'userTask',
      'hiveDbInfo',
      'dataCatalogInfo',
      'redisInfo',
      'securityGroupIds',
    ])
      expect(body).not.toHaveProperty(k)
  })

  it('a number field keeps what is not a number, so the server names the field', () => {
    const f = emptySpec()
    f.workerCnt = 'three'
    expect(toRequest(f).workerCnt).toBe('three')
  })

  it('field errors under an alias belong to the documented field', () => {
    expect(formField('config.fileUrl')).toBe('config.configFileUrl')
    expect(formField('dataCatalog.catalogId')).toBe('dataCatalogInfo.catalogId')
    expect(formField('workerCnt')).toBe('workerCnt')
  })

  it('a Base64 field of a file that is not Base64 of UTF-8 text is refused, naming the field', () => {
    expect(() => fromRequest({ adminInfo: { userPw: 'plain secret' } })).toThrow(
      /adminInfo\.userPw is not Base64/,
    )
    const latin1 = Buffer.from([0xe9, 0x74, 0xe9]).toString('base64')
    expect(() => fromRequest({ config: { userScript: latin1 } })).toThrow(
      /config\.userScript is not Base64 of UTF-8/,
    )
    // Line breaks as base64(1) prints them are fine.
    expect(fromRequest({ config: { configText: 'e30=\n' } }).config.configText).toBe('{}')
  })

  it('a file that is not one JSON object is refused with a reason', () => {
    expect(() => fromRequest([1, 2])).toThrow(/one JSON object/)
  })
})
