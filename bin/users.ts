/**
 * People who sign in to fwmaint (issue 26), in the history database (HISTORY_DB or DATABASE_URL):
 *   npm run users -- add <name> --role <region>=<role> [--role …] [--display <name>] [--password-stdin]
 *   npm run users -- passwd <name> --password-stdin
 *   npm run users -- roles <name> --role <region>=<role> [--role …]     (replaces them)
 *   npm run users -- disable <name>  |  enable <name>
 *   npm run users -- list
 * Roles: viewer, operator, admin; region `*` for every region. The password comes from stdin
 * only (never an argument: those show in `ps` and the shell's history); without it the person
 * signs in by single sign-on. Exit 0: done; 1: refused (why on stderr); 2: not a command.
 */
import { loadEnv } from '../lib/env.js'
import { usersCommand } from './users-command.js'

process.exitCode = await usersCommand(process.argv.slice(2), {
  stdin: process.stdin,
  out: line => { console.log(line) },
  err: line => { console.error(line) },
  env: loadEnv()
})
