import type { CommandGroup, CommandSpec, OptionSpec } from './command-line.js'
import { UsageError } from './exit-codes.js'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

/** One flag as a shell offers it. */
interface Flag {
  long?: string
  short?: string
  /** Takes a value: the word after it is not a command. */
  value: boolean
  /** The values it takes, when there are few. */
  choices?: readonly string[]
  /** Its value is a path. */
  files?: boolean
}

/** What to offer after a command path (`""`, `clusters`, `clusters list`). */
interface Node {
  path: string
  /** Commands (for a group) or the words a command takes first (`credentials create`). */
  words: string[]
  flags: Flag[]
  /** A group: the next word is one of its commands, so it goes into the path. */
  group: boolean
}

/** What completion reads of a {@link CommandGroup}. */
type Table = Pick<CommandGroup, 'ownFlags'> & {
  options: Readonly<Record<string, OptionSpec>>
  common: readonly string[]
  commands: Readonly<Record<string, CommandSpec>>
}

/** Where the completion of flag values comes from besides the tables. */
export interface ValueHints {
  choices: Readonly<Record<string, readonly string[]>>
  files: readonly string[]
}

const flagsOf = (g: Table, names: readonly string[], hints: ValueHints): Flag[] =>
  names.map((name) => {
    const o = g.options[name]
    return {
      long: name,
      ...(o?.short ? { short: o.short } : {}),
      value: o?.type === 'string',
      ...(hints.choices[name] ? { choices: hints.choices[name] } : {}),
      ...(hints.files.includes(name) ? { files: true } : {}),
    }
  })

/** A group's flags spelled as given (`--version`, `-V`), for the group word itself. */
const spelled = (words: readonly string[]): Flag[] =>
  words.map((w) =>
    w.startsWith('--') ? { long: w.slice(2), value: false } : { short: w.slice(1), value: false },
  )

/**
 * Every command path and what follows it, from the same tables the parser reads: the top level,
 * its commands, and each group (`clusters`, `objects`) with its commands.
 */
const nodesOf = (top: Table, groups: Readonly<Record<string, Table>>, hints: ValueHints) => {
  const nodes: Node[] = [
    {
      path: '',
      words: [...Object.keys(top.commands), ...Object.keys(groups), 'help'],
      flags: spelled(top.ownFlags ?? ['--help', '-h']),
      group: true,
    },
  ]
  const leaves = (g: Table, prefix: string) => {
    for (const [name, spec] of Object.entries(g.commands))
      nodes.push({
        path: prefix ? `${prefix} ${name}` : name,
        words: [...(spec.actions ?? [])],
        flags: flagsOf(g, [...new Set([...g.common, ...spec.flags])], hints),
        group: false,
      })
  }
  leaves(top, '')
  for (const [name, g] of Object.entries(groups)) {
    nodes.push({
      path: name,
      words: [...Object.keys(g.commands), 'help'],
      flags: spelled(g.ownFlags ?? ['--help', '-h']),
      group: true,
    })
    leaves(g, name)
  }
  return nodes
}

const spellings = (f: Flag) => [...(f.long ? [`--${f.long}`] : []), ...(f.short ? [`-${f.short}`] : [])]

/** Every way of writing a flag that takes a value, once. */
const valueFlags = (nodes: Node[]) => [
  ...new Set(nodes.flatMap((n) => n.flags.filter((f) => f.value).flatMap(spellings))),
]

/** Flags with the same value completion, grouped: `-o|--output` -> table json yaml. */
const valueCases = (nodes: Node[]) => {
  const byKey = new Map<string, { spellings: Set<string>; choices?: readonly string[]; files?: boolean }>()
  for (const f of nodes.flatMap((n) => n.flags).filter((f) => f.value)) {
    const key = f.choices ? `choices:${f.choices.join(' ')}` : f.files ? 'files' : 'free'
    const entry = byKey.get(key) ?? {
      spellings: new Set<string>(),
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.files ? { files: true } : {}),
    }
    for (const s of spellings(f)) entry.spellings.add(s)
    byKey.set(key, entry)
  }
  return [...byKey.values()].map((e) => ({ ...e, spellings: [...e.spellings] }))
}

const groupPaths = (nodes: Node[]) => nodes.filter((n) => n.group && n.path !== '').map((n) => n.path)

const HEADER = (shell: Shell, load: string, keep: string) =>
  [
    `# ${shell} completion for hadoop-eco, made by "hadoop-eco completion ${shell}" from its command tables.`,
    `# Load it now:  ${load}`,
    `# Or for good:  ${keep}`,
  ].join('\n')

const bash = (nodes: Node[]): string => {
  const lines = [
    HEADER(
      'bash',
      'source <(hadoop-eco completion bash)',
      'hadoop-eco completion bash > ~/.local/share/bash-completion/completions/hadoop-eco',
    ),
    '_hadoop_eco() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
    '  local at="" w i words=""',
    '  # The command path so far: the words that are neither flags nor the values of flags.',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w=${COMP_WORDS[i]}',
    '    case $w in -*) continue ;; esac',
    '    case ${COMP_WORDS[i-1]} in',
    `      ${valueFlags(nodes).join('|')}) continue ;;`,
    '    esac',
    '    case $at in',
    '      "") at=$w ;;',
    `      ${groupPaths(nodes).join('|')}) at="$at $w" ;;`,
    '      *) break ;;',
    '    esac',
    '  done',
    '  case $prev in',
  ]
  for (const c of valueCases(nodes)) {
    const reply = c.choices
      ? `COMPREPLY=($(compgen -W "${c.choices.join(' ')}" -- "$cur"))`
      : c.files
        ? 'COMPREPLY=($(compgen -f -- "$cur"))'
        : 'COMPREPLY=()'
    lines.push(`    ${c.spellings.join('|')}) ${reply}; return ;;`)
  }
  lines.push('  esac', '  case $at in')
  for (const n of nodes)
    lines.push(`    "${n.path}") words="${[...n.words, ...n.flags.flatMap(spellings)].join(' ')}" ;;`)
  lines.push(
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    // -o default: file names where nothing else fits (objects put FILE, an id is typed).
    'complete -o default -F _hadoop_eco hadoop-eco',
    '',
  )
  return lines.join('\n')
}

const zsh = (nodes: Node[]): string => {
  const lines = [
    '#compdef hadoop-eco',
    HEADER(
      'zsh',
      'source <(hadoop-eco completion zsh)',
      'hadoop-eco completion zsh > "${fpath[1]}/_hadoop-eco"',
    ),
    '_hadoop_eco() {',
    '  local at="" w i prev=${words[CURRENT-1]} files=0',
    '  local -a candidates',
    '  for ((i = 2; i < CURRENT; i++)); do',
    '    w=${words[i]}',
    '    [[ $w == -* ]] && continue',
    '    case ${words[i-1]} in',
    `      (${valueFlags(nodes).join('|')}) continue ;;`,
    '    esac',
    '    case $at in',
    '      ("") at=$w ;;',
    `      (${groupPaths(nodes).join('|')}) at="$at $w" ;;`,
    '      (*) break ;;',
    '    esac',
    '  done',
    '  case $prev in',
  ]
  for (const c of valueCases(nodes)) {
    const reply = c.choices ? `compadd -- ${c.choices.join(' ')}` : c.files ? '_files' : ':'
    lines.push(`    (${c.spellings.join('|')}) ${reply}; return ;;`)
  }
  lines.push('  esac', '  case $at in')
  for (const n of nodes)
    lines.push(
      // After a command that takes no word first, its arguments may be files (objects put FILE URL).
      `    ("${n.path}") candidates=(${[...n.words, ...n.flags.flatMap(spellings)].join(' ')})${n.group || n.words.length > 0 ? '' : '; files=1'} ;;`,
    )
  lines.push(
    '  esac',
    '  compadd -a candidates',
    '  if (( files )) && [[ ${words[CURRENT]} != -* ]]; then _files; fi',
    '}',
    'if [[ "${funcstack[1]}" == _hadoop-eco ]]; then',
    '  _hadoop_eco "$@"',
    'else',
    '  compdef _hadoop_eco hadoop-eco',
    'fi',
    '',
  )
  return lines.join('\n')
}

const fish = (nodes: Node[]): string => {
  const lines = [
    HEADER(
      'fish',
      'hadoop-eco completion fish | source',
      'hadoop-eco completion fish > ~/.config/fish/completions/hadoop-eco.fish',
    ),
    '# True when the command path so far (the words that are neither flags nor their values) is $argv[1].',
    'function __hadoop_eco_at',
    '    set -l tokens (commandline -opc)',
    '    set -e tokens[1]',
    '    set -l at',
    '    set -l prev ""',
    '    for w in $tokens',
    '        if string match -q -- "-*" "$w"',
    '            set prev "$w"',
    '            continue',
    '        end',
    `        if contains -- "$prev" ${valueFlags(nodes).join(' ')}`,
    '            set prev "$w"',
    '            continue',
    '        end',
    '        set prev "$w"',
    '        if test (count $at) -eq 0',
    '            set at "$w"',
    `        else if contains -- "$at" ${groupPaths(nodes)
      .map((p) => `"${p}"`)
      .join(' ')}`,
    '            set at $at "$w"',
    '        else',
    '            break',
    '        end',
    '    end',
    '    test "$at" = "$argv[1]"',
    'end',
  ]
  for (const n of nodes) {
    const at = `-n '__hadoop_eco_at "${n.path}"'`
    // A group takes a command next, never a file.
    if (n.group) lines.push(`complete -c hadoop-eco ${at} -f`)
    if (n.words.length > 0) lines.push(`complete -c hadoop-eco ${at} -f -a '${n.words.join(' ')}'`)
    for (const f of n.flags) {
      const names = [...(f.long ? [`-l ${f.long}`] : []), ...(f.short ? [`-s ${f.short}`] : [])].join(' ')
      const value = !f.value ? '' : f.choices ? ` -x -a '${f.choices.join(' ')}'` : f.files ? ' -r -F' : ' -x'
      lines.push(`complete -c hadoop-eco ${at} ${names}${value}`)
    }
  }
  lines.push('')
  return lines.join('\n')
}

/**
 * The completion script for `shell`, covering every command, subcommand and flag of the tables
 * the parser reads (`top` and its groups), with the values of -o and --role and file names
 * where a flag takes a path.
 */
export const completionScript = (
  shell: string,
  top: Table,
  groups: Readonly<Record<string, Table>>,
  hints: ValueHints,
): string => {
  const nodes = nodesOf(top, groups, hints)
  if (shell === 'bash') return bash(nodes)
  if (shell === 'zsh') return zsh(nodes)
  if (shell === 'fish') return fish(nodes)
  throw new UsageError(`unknown shell ${shell}: give bash, zsh or fish`)
}
