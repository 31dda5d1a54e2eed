/**
 * What /openapi.json (and Swagger UI at /docs) says beyond the route schemas: the credential
 * headers (and the console's session cookie) as security schemes, so Swagger UI offers an Authorize button instead of asking for
 * them on every operation, and the seed's own create example.
 */
export const SECURITY_SCHEMES = {
  CredentialId: {
    type: 'apiKey',
    in: 'header',
    name: 'Credential-ID',
    description: 'Access key ID (KakaoCloud console > profile > Access key)',
  },
  CredentialSecret: {
    type: 'apiKey',
    in: 'header',
    name: 'Credential-Secret',
    description: 'Secret access key, shown once when the access key is issued',
  },
  AdminToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'HADOOP_ECO_ADMIN_TOKEN (DESIGN section 7)',
  },
  ConsoleSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'hadoop_eco_session',
    description:
      'The web console session (POST /_console/session sets it); requests other than GET, HEAD and ' +
      'OPTIONS must also send its csrfToken as X-CSRF-Token',
  },
} as const

/**
 * Both credential headers together (one requirement object: both are needed), or the web
 * console's session cookie instead.
 */
export const CREDENTIALS: Record<string, string[]>[] = [
  { CredentialId: [], CredentialSecret: [] },
  { ConsoleSession: [] },
]
export const CONSOLE_SESSION: Record<string, string[]>[] = [{ ConsoleSession: [] }]
/** The credential headers only: the object routes do not take the console's cookie. */
export const CREDENTIAL_HEADERS: Record<string, string[]>[] = [{ CredentialId: [], CredentialSecret: [] }]
export const ADMIN_TOKEN = [{ AdminToken: [] }]

/**
 * The seed's create example 1 (Core Hadoop, Hive userTask, data catalog), as restored in
 * shared/fixtures/create-example-1.json: Swagger UI's "Try it out" starts from a body the server
 * accepts instead of one generated from the schema (`"name":"string","workerCnt":0`).
 */
export const CREATE_CLUSTER_EXAMPLE = {
  name: 'hive-job-cluster',
  clusterType: 'hadoop',
  clusterVersion: 'hde-2.0.1',
  isHa: false,
  workerCnt: 3,
  vpcId: '3ebb3020-d416-f1a4-534c-d3ad0fa1bec0',
  subnetId: '5c1632bf-a7da-fdbf-a594-e6a7bedb328c',
  securityGroupName: 'test-security-group1',
  keypairName: 'keypairname',
  monitoring: true,
  masterFlavorName: 'm2a.xlarge',
  workerFlavorName: 'm2a.xlarge',
  masterVolumeSize: 50,
  workerVolumeSize: 100,
  adminInfo: { userId: 'admin_user', userPw: 'QWRtaW4tUGFzc3cwcmQh' },
  config: {
    hdfsReplication: 3,
    hdfsBlockSize: 128,
    configText:
      'ewogICJjb25maWd1cmF0aW9ucyI6IFsKICAgIHsKICAgICAgImNsYXNzaWZpY2F0aW9uIjogImNvcmUtc2l0ZSIsCiAgICAgICJwcm9wZXJ0aWVzIjogewogICAgICAgICJpby5maWxlLmJ1ZmZlci5zaXplIjogIjY1NTM2IgogICAgICB9CiAgICB9CiAgXQp9Cg==',
  },
  userTask: {
    type: 'hive',
    terminationPolicy: 'never',
    hiveQuery:
      "create table if not exists t1 (col1 string); insert into table t1 values ('a'), ('b'), ('c');",
    execOpts: '--hiveconf hive.tez.container.size=1024',
    logBucketName: 'user-bucket',
  },
  dataCatalog: { catalogId: 'e1ebae48-daba-a4c5-56da-fbb2b684ae07' },
}
