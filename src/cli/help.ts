import { EXIT_CODES_HELP } from './exit-codes.js'

const CONNECTION = `Connection options (every command):
  --endpoint URL               server base URL (or HADOOP_ECO_ENDPOINT)
  --credential-id ID           access key id (or HADOOP_ECO_CREDENTIAL_ID)
  --credential-secret SECRET   secret access key (or HADOOP_ECO_CREDENTIAL_SECRET; the variable
                               is safer: flags are visible to other users in ps)
  --profile NAME               a profile of the config file (or HADOOP_ECO_PROFILE)
  -o, --output FORMAT          table (default), json or yaml
  --max-retries N              retries of 429, 5xx and connection failures (default 2)
  -h, --help                   this help`

const API_KEY = `  --api-key KEY                the cluster's API key (or HADOOP_ECO_API_KEY: safer, since flags
                               are visible to other users in ps)`

const WAIT = `  --wait                       follow the status live until the operation ends
  --timeout DURATION           give up waiting after this long (default 30m; e.g. 90s, 10m, 1h)
  --poll-interval DURATION     how often to look (default: from 250ms, slowing down to 2s)`

export const CLUSTERS_HELP = `Usage: hadoop-eco clusters <command> [options]

Manage clusters through the Hadoop Eco Open API.

Commands:
  create -f SPEC [--wait] [--dry-run]    create a cluster from a JSON or YAML spec
  get ID                                 show a cluster
  list [--name S] [--all-pages]          list clusters
  vms ID                                 list a cluster's VMs
  delete ID [--wait]                     delete a cluster
  scale-out ID --count N [--wait]        add N worker nodes
  scale-in ID --count N [--wait]         remove N worker nodes
  events ID                              a cluster's history of status changes
  configs ID [--role R] [--file NAME]    the configuration files its nodes get
  tasks ID                               the runs of a cluster's userTask, newest first
  logs ID [--task T] [--follow]          a task run's log (the latest run by default)
  api-key issue|revoke ID                issue or revoke a job cluster's API key
  rerun ID [--worker-count N] [--wait]   run a terminated job cluster again
  requests ID [REQUEST] [--verbose]      a job cluster's re-runs, or one of them

${CONNECTION}

Settings come from flags, then environment variables, then the "default" profile of
$XDG_CONFIG_HOME/hadoop-eco/config.yaml (~/.config/hadoop-eco/config.yaml; or $HADOOP_ECO_CONFIG).
A profile named with --profile comes before the environment:

  profiles:
    default:
      endpoint: http://localhost:8080
      credentialId: 3f1c...
      credentialSecret: q7Jx...

Examples:
  export HADOOP_ECO_ENDPOINT=http://localhost:8080 HADOOP_ECO_CREDENTIAL_ID=... HADOOP_ECO_CREDENTIAL_SECRET=...
  hadoop-eco clusters create -f cluster.yaml --wait
  hadoop-eco clusters list --name etl
  hadoop-eco --help

Run "hadoop-eco clusters <command> --help" for a command's options and examples.

${EXIT_CODES_HELP}`

export const COMMAND_HELP: Record<string, string> = {
  create: `Usage: hadoop-eco clusters create -f SPEC [--wait] [--dry-run] [options]

Creates a cluster from a spec: the request body of the Open API's "Create cluster", as JSON or
YAML ("-f -" reads stdin). Each Base64 field can instead name a file, relative to the spec, that
the CLI reads and encodes:
  config.configText   -> config.configTextFile   (a configurations JSON file; checked before sending)
  config.userScript   -> config.userScriptFile   (a shell script, sent byte for byte)
  adminInfo.userPw    -> adminInfo.userPwFile    (one trailing newline is dropped)
  hiveDbInfo.userPw   -> hiveDbInfo.userPwFile   (one trailing newline is dropped)

Options:
  -f, --file SPEC              the spec file (.json, .yaml, .yml) or - for stdin
  --dry-run                    print the exact JSON body that would be sent, send nothing
${WAIT}
                               (with --wait the command succeeds once the cluster is Running;
                               it exits 6 if the cluster ends Terminated(Error))

${CONNECTION}

Example spec (cluster.yaml):
  name: etl-cluster
  clusterType: hadoop
  clusterVersion: hde-2.0.1
  isHa: false
  keypairName: my-keypair
  masterFlavorName: m2a.xlarge
  masterVolumeSize: 50
  workerCnt: 3
  workerFlavorName: m2a.xlarge
  workerVolumeSize: 100
  monitoring: true
  securityGroupName: etl-sg
  vpcId: 3ebb3020-d416-f1a4-534c-d3ad0fa1bec0
  subnetId: 5c1632bf-a7da-fdbf-a594-e6a7bedb328c
  config:
    hdfsReplication: 3
    hdfsBlockSize: 128
    configTextFile: core-site.json
    userScriptFile: bootstrap.sh

Examples:
  hadoop-eco clusters create -f cluster.yaml --wait
  hadoop-eco clusters create -f cluster.json -o json | jq -r .id
  hadoop-eco clusters create -f cluster.yaml --dry-run | curl -X POST "$HADOOP_ECO_ENDPOINT/v2/hadoop-eco/clusters" \\
    -H "Credential-ID: $ID" -H "Credential-Secret: $SECRET" -H 'Content-Type: application/json' --data-binary @-
`,
  get: `Usage: hadoop-eco clusters get ID [options]

Shows a cluster: status, node counts, UI URLs, configuration. In the table output the
Base64 config.configText is shown decoded, as indented JSON; -o json|yaml show the API's answer.

${CONNECTION}

Examples:
  hadoop-eco clusters get 48fd271f-01f8-47bd-8e42-8c872fb6bf3a
  hadoop-eco clusters get "$ID" -o json | jq -r .status
`,
  list: `Usage: hadoop-eco clusters list [options]

Lists the project's clusters, newest first.

Options:
  --name S                     only names containing S (case-insensitive)
  --api-key-status S           only clusters whose apiKeyStatus contains S
  --exclude-terminated         leave terminated clusters out
  --sort FIELD,asc|desc        repeatable; e.g. --sort name,asc --sort createdAt,desc
  --page N --size N            one page (0-based; size 1..1000, default 20)
  --all-pages                  every page (one request per page, oldest first unless --sort)

With -o json or yaml the output is the list of clusters (the "content" of the page(s)).

${CONNECTION}

Examples:
  hadoop-eco clusters list
  hadoop-eco clusters list --name etl --exclude-terminated
  hadoop-eco clusters list --all-pages -o json | jq -r '.[] | select(.status == "Running") | .id'
`,
  vms: `Usage: hadoop-eco clusters vms ID [options]

Lists a cluster's virtual machines.

Options:
  --name S --ip S --instance-id S --status S   filters (case-insensitive substrings)
  --sort FIELD,asc|desc        repeatable (name, instanceId, isMaster, flavorName, ip, createdAt)
  --page N --size N            one page
  --all-pages                  every page

${CONNECTION}

Examples:
  hadoop-eco clusters vms "$ID"
  hadoop-eco clusters vms "$ID" --name WRK --sort name,desc
  hadoop-eco clusters vms "$ID" -o json | jq -r '.[].ip'
`,
  delete: `Usage: hadoop-eco clusters delete ID [--wait] [options]

Deletes a cluster (it cannot be recovered). It goes Terminating, then Terminated(User).
With --wait it ends with one line, "deleted cluster NAME (ID): Terminated(User)"; with -o json
or yaml, the cluster as it ended.

Options:
${WAIT}

${CONNECTION}

Examples:
  hadoop-eco clusters delete "$ID"
  hadoop-eco clusters delete "$ID" --wait --timeout 10m
`,
  'scale-out': `Usage: hadoop-eco clusters scale-out ID --count N [--wait] [options]

Adds N worker nodes. The cluster must be Running; it goes Processing, then Running again.
With --wait it ends with one line, "scaled out NAME (ID) to N workers: Running"; with -o json
or yaml, the cluster as it ended.

Options:
  --count N                    how many workers to add
${WAIT}

${CONNECTION}

Examples:
  hadoop-eco clusters scale-out "$ID" --count 2
  hadoop-eco clusters scale-out "$ID" --count 2 --wait
`,
  'scale-in': `Usage: hadoop-eco clusters scale-in ID --count N [--wait] [options]

Removes the N highest-numbered worker nodes (decommissioned first). At least
config.hdfsReplication workers must remain. With --wait it ends with one line, "scaled in NAME
(ID) to N workers: Running"; with -o json or yaml, the cluster as it ended.

Options:
  --count N                    how many workers to remove
${WAIT}

${CONNECTION}

Examples:
  hadoop-eco clusters scale-in "$ID" --count 1
  hadoop-eco clusters scale-in "$ID" --count 1 --wait -o json
`,
  configs: `Usage: hadoop-eco clusters configs ID [--role master|worker] [--file NAME] [options]

Shows the Hadoop configuration rendered for a cluster's nodes: every file with its absolute
path (core-site.xml, hdfs-site.xml, yarn-site.xml, hive-site.xml, spark-defaults.conf, ...),
from the catalog defaults for its type, version and flavors and the configurations given at
create (config.configText or config.configFileUrl). The masters get every file; the workers
those of the daemons they run. No password is ever part of it.

Options:
  --role master|worker         whose files (default: master, which has them all)
  -f, --file NAME              only this file: a file name (core-site.xml) or an absolute path;
                               its text is printed as it is (exit 4 when the role has no such file)

Without --file each file is printed under a "==> PATH <==" header. With -o json or yaml: the
whole answer ({"master": [...], "worker": [...]}), the files of --role, or the one file.

${CONNECTION}

Examples:
  hadoop-eco clusters configs "$ID"
  hadoop-eco clusters configs "$ID" --file core-site.xml
  hadoop-eco clusters configs "$ID" --role worker --file /etc/hadoop/conf/yarn-site.xml > yarn-site.xml
  hadoop-eco clusters configs "$ID" -o json | jq -r '.worker[].path'
`,
  events: `Usage: hadoop-eco clusters events ID [options]

Shows a cluster's history, oldest first: every status change with its reason.

Options:
  --page N --size N            one page instead of the whole history

${CONNECTION}

Examples:
  hadoop-eco clusters events "$ID"
  hadoop-eco clusters events "$ID" -o json | jq -r '.[] | "\\(.toStatus) \\(.reason)"'
`,
  tasks: `Usage: hadoop-eco clusters tasks ID [options]

Shows the runs of a cluster's userTask, newest first: status, times, exit code, and why a
failed run failed (TASK_FILE_NOT_FOUND, TASK_FAILED, TASK_TIMEOUT).

Options:
  --page N --size N            one page instead of every run

${CONNECTION}

Examples:
  hadoop-eco clusters tasks "$ID"
  hadoop-eco clusters tasks "$ID" -o json | jq -r '.[0].status'
`,
  'api-key': `Usage: hadoop-eco clusters api-key issue|revoke ID [options]

A job cluster's Open API key: what "clusters rerun" and "clusters requests" need to run the
cluster again and follow its runs. A hadoop cluster created with a hive or spark userTask can
have one key at a time (its apiKeyStatus is "possible"; "applied" once issued).

  issue ID                     issue the key and print it on stdout, alone (with -o json or
                               yaml: {"clusterId", "apiKey"}). It is shown this once only:
                               store it (a secret store, HADOOP_ECO_API_KEY). Exits 5 when
                               the cluster cannot have a key now (API_KEY_NOT_POSSIBLE).
  revoke ID                    revoke the key (nothing to do when none is issued); runs with
                               it are refused from then on (exit 3)

${CONNECTION}

Examples:
  export HADOOP_ECO_API_KEY=$(hadoop-eco clusters api-key issue "$ID")
  hadoop-eco clusters api-key issue "$ID" -o json | jq -r .apiKey > key.txt
  hadoop-eco clusters api-key revoke "$ID"
`,
  rerun: `Usage: hadoop-eco clusters rerun ID [overrides] [--wait] [options]

Runs a terminated job cluster again (a hadoop cluster with a hive or spark userTask): the same
cluster, with new VMs, goes Initializing -> ... -> Running, runs its task with the overrides
below, and ends by its terminationPolicy. Prints the request (its requestId and the settings it
runs with). Needs the cluster's API key ("clusters api-key issue"). A cluster that is not
terminated exits 5 (CLUSTER_BUSY); a wrong or revoked key exits 3.

Overrides (each optional; the rest keep the cluster's values; the server checks the ranges):
  --worker-count N             workers for this run (at least the HDFS replication)
  --worker-volume-size GB      volume size of each worker
  --hdfs-replication N         HDFS replication
  --hdfs-block-size MB         HDFS block size
  --deploy-mode cluster|client spark tasks only
  --exec-opts S                the task's options (spark-submit or hive)
  --exec-params S              the task's parameters
                               (a value that starts with "-" needs the = form:
                               --exec-opts='--num-executors 4')

Options:
${API_KEY}
  --idempotency-key K          send the same key to make a retried command run once (the
                               server replays the first answer for 24 hours)
${WAIT}
                               (with --wait the command follows the request: it exits 0 when
                               the run succeeds, 6 when it fails, and prints the final request)

${CONNECTION}

Examples:
  export HADOOP_ECO_API_KEY=...   # from "clusters api-key issue"
  hadoop-eco clusters rerun "$ID" --wait
  hadoop-eco clusters rerun "$ID" --worker-count 5 --exec-params="--date $(date +%F)" --wait --timeout 2h
  hadoop-eco clusters rerun "$ID" --idempotency-key "nightly-$(date +%F)" -o json | jq -r .requestId
`,
  requests: `Usage: hadoop-eco clusters requests ID [REQUEST] [options]

Without REQUEST: a job cluster's re-runs, newest first (request id, status, result). With
REQUEST: that one; --verbose adds what it ran with (clusterMeta: the VMs and the task).
A status is Processing, Success or Fail. Needs the cluster's API key.

Options:
${API_KEY}
  --verbose                    with REQUEST: add clusterMeta
  --page N --size N            one page of the list instead of every request

${CONNECTION}

Examples:
  hadoop-eco clusters requests "$ID"
  hadoop-eco clusters requests "$ID" "$REQUEST" --verbose
  hadoop-eco clusters requests "$ID" -o json | jq -r '.[0].requestStatus'
`,
  logs: `Usage: hadoop-eco clusters logs ID [--task T] [--follow] [options]

Prints a task run's log: the latest run's, or run T's. With --follow it keeps printing what
the run writes until the run ends, then exits 0 if it succeeded and 6 if it failed.

Options:
  --task T                     the task run id (see "clusters tasks")
  --follow                     keep printing until the run ends
  --poll-interval DURATION     how often to look when following (default 1s)

${CONNECTION}

Examples:
  hadoop-eco clusters logs "$ID"
  hadoop-eco clusters logs "$ID" --follow
  hadoop-eco clusters logs "$ID" --task "$RUN" > task.log
`,
}

const OBJECT_URLS = `Object URLs:
  https://objectstorage.{region}.kakaocloud.com/v1/{projectId}/{bucket}/{key}
  http(s)://{host}/v1/{account}/{bucket}/{key}
                  the server's object route (DESIGN section 8): the host and the project
                  segment are not used; the request goes to the configured endpoint and acts
                  in the credential's project. The key is percent-decoded (%20 is a space).
  s3://{bucket}/{key}
                  any S3-compatible service, directly: HADOOP_ECO_S3_ENDPOINT (default
                  https://objectstorage.{region}.kakaocloud.com), HADOOP_ECO_S3_REGION (default
                  kr-central-2) and the AWS credential chain (AWS_ACCESS_KEY_ID and
                  AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, ...). The key is taken as written.`

const OBJECT_CONNECTION = `Connection options (http(s) URLs):
  --endpoint URL               server base URL (or HADOOP_ECO_ENDPOINT)
  --credential-id ID           access key id (or HADOOP_ECO_CREDENTIAL_ID)
  --credential-secret SECRET   secret access key (or HADOOP_ECO_CREDENTIAL_SECRET)
  --profile NAME               a profile of the config file (or HADOOP_ECO_PROFILE)
  --max-retries N              retries of 429, 5xx and connection failures (default 2)
  -h, --help                   this help`

export const OBJECTS_HELP = `Usage: hadoop-eco objects <command> [options]

Put and fetch Object Storage objects: config files, user scripts, Hive queries, Spark JARs
and task logs.

Commands:
  put FILE URL          upload FILE ("-" for stdin); the bucket is created if needed
  get URL [FILE]        download to FILE (written whole or not at all), or to stdout
  ls URL-PREFIX         list the objects under a prefix (a bucket URL lists them all)
  rm URL                delete an object

${OBJECT_URLS}

${OBJECT_CONNECTION}

Examples:
  hadoop-eco objects put core-site.json http://localhost:8080/v1/my-project/conf/core-site.json
  hadoop-eco objects get http://localhost:8080/v1/my-project/logs/HadoopEco/etl/RUN/task.log
  hadoop-eco objects ls http://localhost:8080/v1/my-project/logs/HadoopEco/etl/
  hadoop-eco objects put target/app.jar s3://jars/etl/app.jar
  hadoop-eco objects rm s3://jars/etl/app.jar

Run "hadoop-eco objects <command> --help" for a command's options.

${EXIT_CODES_HELP}`

export const OBJECT_COMMAND_HELP: Record<string, string> = {
  put: `Usage: hadoop-eco objects put FILE URL [options]

Uploads FILE ("-" reads stdin) as the object URL names, streamed: any size up to the server's
HADOOP_ECO_OBJECT_MAX_BYTES (5 GiB by default). The object appears whole or not at all; the
bucket is created if it does not exist. Prints the stored object (name, bytes, date).

Options:
  --content-type TYPE          the object's media type (default: from the key's extension)
  -o, --output FORMAT          table (default), json or yaml

${OBJECT_URLS}

${OBJECT_CONNECTION}

Examples:
  hadoop-eco objects put bootstrap.sh http://localhost:8080/v1/p/scripts/bootstrap.sh
  tar cz conf | hadoop-eco objects put - s3://backups/conf.tgz
`,
  get: `Usage: hadoop-eco objects get URL [FILE] [options]

Downloads an object to FILE (through a temp file, renamed when complete) or, without FILE
or with "-", to stdout. Exits 4 when the bucket or the object does not exist.

${OBJECT_URLS}

${OBJECT_CONNECTION}

Examples:
  hadoop-eco objects get http://localhost:8080/v1/p/logs/HadoopEco/etl/RUN/task.log | less
  hadoop-eco objects get s3://jars/etl/app.jar app.jar
`,
  ls: `Usage: hadoop-eco objects ls URL-PREFIX [options]

Lists the objects whose keys start with the URL's key part, by key (all of them for a URL
that ends at the bucket). Exits 4 when the bucket does not exist.

Options:
  -o, --output FORMAT          table (default), json or yaml

${OBJECT_URLS}

${OBJECT_CONNECTION}

Examples:
  hadoop-eco objects ls http://localhost:8080/v1/p/logs
  hadoop-eco objects ls http://localhost:8080/v1/p/logs/HadoopEco/etl/ -o json | jq -r '.[].name'
  hadoop-eco objects ls s3://jars/etl/
`,
  rm: `Usage: hadoop-eco objects rm URL [options]

Deletes an object. Exits 4 when it does not exist.

${OBJECT_URLS}

${OBJECT_CONNECTION}

Examples:
  hadoop-eco objects rm http://localhost:8080/v1/p/scratch/tmp.csv
  hadoop-eco objects rm s3://jars/etl/app-0.9.jar
`,
}

export const CONFIGURE_HELP = `Usage: hadoop-eco configure [--profile NAME] [--endpoint URL] [--credential-id ID]
                            [--credential-secret SECRET]

Saves an endpoint and a credential as a profile of the config file that the client commands
read: $HADOOP_ECO_CONFIG, else $XDG_CONFIG_HOME/hadoop-eco/config.yaml, else
~/.config/hadoop-eco/config.yaml. The file's other profiles are kept; it is written readable
by you alone (mode 0600). The "default" profile is used when no --profile is named.

On a terminal, each value not given as a flag is asked for (the secret without echo; Enter keeps
the profile's current value, shown in brackets). Without a terminal, a value not given keeps
the profile's current one, and one the profile does not have is an error (exit 2).

Options:
  --profile NAME               the profile to write (default: $HADOOP_ECO_PROFILE, else "default")
  --endpoint URL               the server's base URL
  --credential-id ID           the access key id
  --credential-secret SECRET   the secret access key (safer asked for: flags are visible to
                               other users in ps)
  -h, --help                   this help

Examples:
  hadoop-eco configure
  hadoop-eco configure --profile prod --endpoint https://hadoop-eco.example.com
  hadoop-eco clusters list --profile prod
`

export const COMPLETION_HELP = `Usage: hadoop-eco completion bash|zsh|fish

Prints a completion script for the shell: commands, subcommands and their options, the values
of -o and --role, and file names where an option takes a path.

Examples:
  source <(hadoop-eco completion bash)                  # this bash session
  hadoop-eco completion bash > ~/.local/share/bash-completion/completions/hadoop-eco
  hadoop-eco completion zsh > "\${fpath[1]}/_hadoop-eco"  # then start a new zsh
  hadoop-eco completion fish > ~/.config/fish/completions/hadoop-eco.fish
`
