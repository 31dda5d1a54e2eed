import { describe, expect, it } from 'vitest'
import { InvalidObjectUrlError, parseObjectUrl, resolveObjectUrl } from './url.js'

describe('parseObjectUrl (DESIGN section 8)', () => {
  it("maps the console's object URL, percent-decoding the key", () => {
    expect(
      parseObjectUrl(
        'https://objectstorage.kr-central-2.kakaocloud.com/v1/9f1c2b/my-bucket/conf/core%20site.json',
      ),
    ).toEqual({ scheme: 'https', account: '9f1c2b', bucket: 'my-bucket', key: 'conf/core site.json' })
  })

  it('maps any http(s) host with a /v1/{account}/{bucket}/{key} path; query and fragment are not the key', () => {
    expect(
      parseObjectUrl('http://127.0.0.1:8080/v1/AUTH_x/logs/HadoopEco/c1/run/task.log?temp=1#top'),
    ).toEqual({
      scheme: 'http',
      account: 'AUTH_x',
      bucket: 'logs',
      key: 'HadoopEco/c1/run/task.log',
    })
    expect(parseObjectUrl('HTTPS://host/v1/p/b-1/a%2Fb%3F%23%25/%ED%95%9C')).toMatchObject({
      scheme: 'https',
      key: 'a/b?#%/한',
    })
    // A trailing slash is part of the key, as in S3.
    expect(parseObjectUrl('https://h/v1/p/bucket/dir/').key).toBe('dir/')
  })

  it('takes s3://bucket/key only when asked, with the key as written (as the AWS CLI does)', () => {
    expect(parseObjectUrl('s3://my-bucket/a%20b/c d', { s3: true })).toEqual({
      scheme: 's3',
      bucket: 'my-bucket',
      key: 'a%20b/c d',
    })
    expect(() => parseObjectUrl('s3://my-bucket/k')).toThrow(InvalidObjectUrlError)
    expect(resolveObjectUrl('s3://my-bucket/k')).toBeUndefined()
  })

  it('a prefix may stop at the bucket or anywhere in a key', () => {
    for (const url of ['https://h/v1/p/bucket', 'https://h/v1/p/bucket/'])
      expect(parseObjectUrl(url, { prefix: true })).toMatchObject({ bucket: 'bucket', key: '' })
    expect(parseObjectUrl('s3://bucket', { s3: true, prefix: true })).toMatchObject({
      bucket: 'bucket',
      key: '',
    })
    expect(parseObjectUrl('s3://bucket/logs/', { s3: true, prefix: true }).key).toBe('logs/')
    expect(parseObjectUrl('https://h/v1/p/bucket/logs/..', { prefix: true }).key).toBe('logs/..')
    expect(() => parseObjectUrl('https://h/v1/p/bucket/')).toThrow(/names a bucket, not an object/)
  })

  it('says why a URL maps to no object', () => {
    const cases: [string, RegExp][] = [
      ['https://example.com/script.sh', /expected \/v1\/\{account\}\/\{bucket\}\/\{key\}/],
      ['https://h/v2/p/bucket/k', /expected \/v1/],
      ['https://h/v1/p', /expected \/v1/],
      ['ftp://h/v1/p/bucket/k', /expected http\(s\)/],
      ['https://h/v1/p/My_Bucket/k', /bucket name "My_Bucket"/],
      ['https://h/v1/p/bucket/a/../b', /"\.\." segment/],
      ['https://h/v1/p/bucket/a/%2E%2E/b', /"\.\." segment/],
      ['https://h/v1/p/bucket/a%00b', /NUL/],
      ['https://h/v1/p/bucket/%E0%A4%A', /not valid percent-encoding/],
      [`https://h/v1/p/bucket/${'k'.repeat(1025)}`, /at most 1024 bytes/],
      ['not a url', /is not an object URL/],
    ]
    for (const [url, why] of cases) {
      expect(() => parseObjectUrl(url), url).toThrow(why)
      expect(resolveObjectUrl(url), url).toBeUndefined()
    }
  })
})
