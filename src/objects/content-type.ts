/**
 * The media type of a key, from its extension: the file back-end keeps no metadata beside the
 * bytes, so this is what it answers; the CLI sends it with an upload. Only the kinds of files a
 * Hadoop cluster reads and writes are listed; anything else is application/octet-stream.
 */
const TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  out: 'text/plain; charset=utf-8',
  err: 'text/plain; charset=utf-8',
  sql: 'text/plain; charset=utf-8',
  hql: 'text/plain; charset=utf-8',
  q: 'text/plain; charset=utf-8',
  properties: 'text/plain; charset=utf-8',
  conf: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  sh: 'text/x-shellscript; charset=utf-8',
  py: 'text/x-python; charset=utf-8',
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  jar: 'application/java-archive',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  parquet: 'application/vnd.apache.parquet',
  avro: 'application/avro',
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

export const contentTypeFor = (key: string): string => {
  const name = key.slice(key.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return (dot > 0 && TYPES[name.slice(dot + 1).toLowerCase()]) || DEFAULT_CONTENT_TYPE
}
