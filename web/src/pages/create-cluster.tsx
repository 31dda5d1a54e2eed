import { useRef, useState, type ReactNode } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useForm, type FieldPath, type UseFormRegisterReturn } from 'react-hook-form'
import { useNavigate } from 'react-router'
import { BadRequestError, type FieldError } from '../../../src/sdk/index.js'
import { client, errorText } from '../api.js'
import { ErrorAlert } from '../components/feedback.js'
import {
  CLUSTER_TYPES,
  CLUSTER_VERSIONS,
  emptySpec,
  FLAVORS,
  formField,
  fromRequest,
  toRequest,
  type SpecForm,
} from '../spec.js'

/** Every leaf of the form, by the API's field path: where a server error can be shown. */
const leaves = (o: object, prefix = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' ? leaves(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
const FIELDS = new Set(leaves(emptySpec()))

/** A field's server error, referenced by the field's aria-describedby as `{id}-error`. */
function ErrorText({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p id={`${id}-error`} className="field-error">
      {message}
    </p>
  ) : null
}

export default function CreateClusterPage() {
  const navigate = useNavigate()
  const qc = useQueryClient()
  const form = useForm<SpecForm>({ defaultValues: emptySpec() })
  const { register, handleSubmit, setError, formState, watch, reset, getValues, setFocus } = form
  const [unplaced, setUnplaced] = useState<FieldError[]>([])
  const [importProblem, setImportProblem] = useState<string>()
  const fileInput = useRef<HTMLInputElement>(null)

  const create = useMutation({
    mutationFn: (values: SpecForm) => client.clusters.create(toRequest(values)),
    onSuccess: (ref) => {
      void qc.invalidateQueries({ queryKey: ['clusters'] })
      navigate(`/clusters/${ref.id}`)
    },
    onError: (e) => {
      if (!(e instanceof BadRequestError)) return
      const rest: FieldError[] = []
      let first: string | undefined
      // Only fields on the screen can show an error; the task's fields are there with a task type.
      const shown = (name: string) =>
        FIELDS.has(name) &&
        (!name.startsWith('userTask.') || name === 'userTask.type' || !!getValues('userTask.type'))
      for (const f of e.errors) {
        const name = formField(f.field)
        if (shown(name)) {
          setError(name as FieldPath<SpecForm>, { type: 'server', message: f.message })
          first ??= name
        } else rest.push(f)
      }
      setUnplaced(rest)
      if (first) setFocus(first as FieldPath<SpecForm>)
    },
  })

  const err = (name: string): string | undefined => {
    let node: unknown = formState.errors
    for (const part of name.split('.')) node = (node as Record<string, unknown> | undefined)?.[part]
    return (node as { message?: string } | undefined)?.message
  }
  const field = (
    name: FieldPath<SpecForm>,
    label: string,
    control: (r: UseFormRegisterReturn, aria: object) => ReactNode,
    hint?: string,
  ) => {
    const id = `f-${name.replace(/\./g, '-')}`
    const message = err(name)
    const describedBy = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ')
    const aria = {
      id,
      'aria-invalid': message ? true : undefined,
      'aria-describedby': describedBy || undefined,
    }
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        {control(register(name), aria)}
        {hint ? (
          <p id={`${id}-hint`} className="hint">
            {hint}
          </p>
        ) : null}
        <ErrorText id={id} message={message} />
      </div>
    )
  }
  const text = (name: FieldPath<SpecForm>, label: string, hint?: string, type = 'text') =>
    field(name, label, (r, aria) => <input type={type} {...r} {...aria} spellCheck={false} />, hint)
  const number = (name: FieldPath<SpecForm>, label: string, hint?: string) =>
    field(name, label, (r, aria) => <input type="number" inputMode="numeric" {...r} {...aria} />, hint)
  const select = (name: FieldPath<SpecForm>, label: string, options: readonly string[], hint?: string) =>
    field(
      name,
      label,
      (r, aria) => (
        <select {...r} {...aria}>
          {options.map((o) => (
            <option key={o} value={o}>
              {o || 'none'}
            </option>
          ))}
        </select>
      ),
      hint,
    )
  const area = (name: FieldPath<SpecForm>, label: string, hint?: string) =>
    field(
      name,
      label,
      (r, aria) => <textarea rows={5} {...r} {...aria} spellCheck={false} className="mono" />,
      hint,
    )
  const check = (name: FieldPath<SpecForm>, label: string) => {
    const id = `f-${name}`
    const message = err(name)
    return (
      <div className="field">
        <div className="checkbox">
          <input
            id={id}
            type="checkbox"
            {...register(name)}
            aria-invalid={message ? true : undefined}
            aria-describedby={message ? `${id}-error` : undefined}
          />
          <label htmlFor={id}>{label}</label>
        </div>
        <ErrorText id={id} message={message} />
      </div>
    )
  }

  const exportSpec = () => {
    const body = toRequest(getValues())
    const blob = new Blob([`${JSON.stringify(body, null, 2)}\n`], { type: 'application/json' })
    const url = URL.createObjectURL(blob)
    const a = document.createElement('a')
    a.href = url
    a.download = `${body.name || 'cluster'}.json`
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
  const importSpec = async (file: File | undefined) => {
    if (!file) return
    setImportProblem(undefined)
    try {
      reset(fromRequest(JSON.parse(await file.text())))
      setUnplaced([])
      create.reset()
    } catch (e) {
      setImportProblem(`${file.name}: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      if (fileInput.current) fileInput.current.value = ''
    }
  }

  const taskType = watch('userTask.type')
  const failedOther = create.error && !(create.error instanceof BadRequestError)
  const fieldErrorCount = create.error instanceof BadRequestError ? create.error.errors.length : 0
  return (
    <>
      <h1>Create cluster</h1>
      <div className="actions left spec-file">
        <label htmlFor="import-spec" className="button secondary">
          Import spec JSON
        </label>
        <input
          id="import-spec"
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          className="visually-hidden"
          onChange={(e) => void importSpec(e.target.files?.[0])}
        />
        <button type="button" className="secondary" onClick={exportSpec}>
          Export spec JSON
        </button>
      </div>
      {importProblem ? <ErrorAlert title="The file could not be imported">{importProblem}</ErrorAlert> : null}
      {fieldErrorCount ? (
        <div role="alert" className="alert error">
          <strong>
            The server refused the spec: {fieldErrorCount} {fieldErrorCount === 1 ? 'problem' : 'problems'},
            shown beside {fieldErrorCount === 1 ? 'its field' : 'their fields'}.
          </strong>
          {unplaced.length ? (
            <ul>
              {unplaced.map((f) => (
                <li key={`${f.field}-${f.code}`}>
                  <code>{f.field}</code>: {f.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {failedOther ? (
        <ErrorAlert title="The cluster was not created">{errorText(create.error)}</ErrorAlert>
      ) : null}

      <form noValidate onSubmit={handleSubmit((v) => create.mutate(v))} className="spec">
        <fieldset>
          <legend>Cluster</legend>
          {text(
            'name',
            'Name',
            '3 to 20 characters: lowercase letters, digits and -, starting with a letter.',
          )}
          {select('clusterType', 'Cluster type', CLUSTER_TYPES)}
          {select('clusterVersion', 'Cluster version', CLUSTER_VERSIONS)}
          {check('isHa', 'High availability (3 masters)')}
          {check('monitoring', 'Monitoring')}
        </fieldset>
        <fieldset>
          <legend>Nodes</legend>
          {select('masterFlavorName', 'Master flavor name', FLAVORS)}
          {number('masterVolumeSize', 'Master volume size (GB)', '50 to 5120 GB.')}
          {number('workerCnt', 'Worker count', '1 to 1000, and at least the HDFS replication.')}
          {select('workerFlavorName', 'Worker flavor name', FLAVORS)}
          {number('workerVolumeSize', 'Worker volume size (GB)', '50 to 5120 GB.')}
        </fieldset>
        <fieldset>
          <legend>Network and access</legend>
          {text('vpcId', 'VPC ID')}
          {text('subnetId', 'Subnet ID')}
          {text(
            'securityGroupIds',
            'Security group IDs',
            'Comma separated. Give these or a security group name, not both.',
          )}
          {text('securityGroupName', 'Security group name')}
          {text('keypairName', 'Key pair name')}
          {text('adminInfo.userId', 'Admin user ID')}
          {text(
            'adminInfo.userPw',
            'Admin password',
            'Sent Base64-encoded, as the API wants it.',
            'password',
          )}
        </fieldset>
        <fieldset>
          <legend>HDFS and configuration</legend>
          {number('config.hdfsReplication', 'HDFS replication', '1 to 500, at most the worker count.')}
          {number('config.hdfsBlockSize', 'HDFS block size (MB)', '1 to 1024 MB.')}
          {area(
            'config.configText',
            'Config text (JSON)',
            'For example {"configurations":[{"classification":"core-site","properties":{"io.file.buffer.size":"65536"}}]}. The console Base64-encodes it.',
          )}
          {text(
            'config.configFileUrl',
            'Config file URL',
            'Instead of config text: an Object Storage URL of the same JSON.',
          )}
          {area(
            'config.userScript',
            'User script',
            'A shell script every node runs at install; Base64-encoded for you.',
          )}
          {text(
            'config.userScriptFileUrl',
            'User script file URL',
            'Instead of the script: its Object Storage URL.',
          )}
        </fieldset>
        <fieldset>
          <legend>Task</legend>
          {select(
            'userTask.type',
            'Task type',
            ['', 'hive', 'spark'],
            'A job cluster runs this task once it is running.',
          )}
          {taskType ? (
            <>
              {select('userTask.terminationPolicy', 'Termination policy', ['never', 'onSuccess', 'always'])}
              {taskType === 'hive' ? area('userTask.hiveQuery', 'Hive query') : null}
              {text(
                'userTask.fileUrl',
                'Task file URL',
                taskType === 'spark' ? 'The JAR to run.' : 'A query file, instead of the query.',
              )}
              {taskType === 'spark'
                ? select('userTask.deployMode', 'Deploy mode', ['cluster', 'client'])
                : null}
              {text('userTask.execOpts', 'Exec options')}
              {text('userTask.execParams', 'Exec params')}
              {text('userTask.logBucketName', 'Log bucket name')}
            </>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Hive metastore (optional: an external MySQL, or a data catalog)</legend>
          {text('hiveDbInfo.objectId', 'Hive DB object ID')}
          {text('hiveDbInfo.dbName', 'Hive DB name')}
          {text('hiveDbInfo.userId', 'Hive DB user ID')}
          {text('hiveDbInfo.userPw', 'Hive DB password', 'Sent Base64-encoded.', 'password')}
          {text('dataCatalogInfo.catalogId', 'Data catalog ID')}
        </fieldset>
        <fieldset>
          <legend>Redis (dataflow only)</legend>
          {text('redisInfo.objectId', 'Redis object ID')}
          {number('redisInfo.dbIdSupersetCelery', 'Superset Celery DB ID', '0 to 15; default 0.')}
          {number('redisInfo.dbIdSupersetResults', 'Superset results DB ID', '0 to 15; default 1.')}
        </fieldset>
        <div className="actions left">
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create cluster'}
          </button>
        </div>
      </form>
    </>
  )
}
