import { accessSync, constants, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * The simulated FireWatcher image's own ffprobe: a static FFmpeg build (johnvansickle.com's,
 * packaged on npm as @ffprobe-installer/linux-x64, a dev dependency), as a container image ships
 * its tools rather than borrowing the host's. Why not Debian's: a dynamically linked ffprobe maps
 * 215 libraries and resolves 43,000 symbols before it does anything — 0.11 CPU-s a start, 0.19 with
 * a probe, and a test run starts ~940 of them; the static one starts in 0.01 s. Debian's ffprobe
 * (5.1) stays under test on the real-OpenSSH site (sim/openssh.ts puts nothing here), so the
 * gateway meets both builds. Undefined when the package is not installed (then the host's).
 */
export function imageFfprobe (): string | undefined {
  let file: string
  try {
    file = path.join(path.dirname(createRequire(import.meta.url).resolve('@ffprobe-installer/linux-x64/package.json')), 'ffprobe')
  } catch {
    return undefined
  }
  if (!existsSync(file)) return undefined
  // The package's tarball holds it without the execute bit; its postinstall (`chmod u+x`,
  // allowed in package.json → allowScripts) sets it. Said, not skipped: a silent fallback to the
  // host's ffprobe would only make the suite slower.
  try { accessSync(file, constants.X_OK) } catch {
    throw new Error(`${file} is not executable: its install script did not run (npm rebuild @ffprobe-installer/linux-x64)`)
  }
  return file
}

/**
 * Puts the image's tools in each FireWatcher container's bin folder (`$root/containers/<name>/bin`,
 * first on the container's PATH: sim/bin/docker).
 */
export function installImageTools (root: string, containers: Array<{ name: string, image: string }>): void {
  const ffprobe = imageFfprobe()
  if (ffprobe === undefined) return
  for (const c of containers) {
    if (!c.image.startsWith('firewatcher')) continue
    const bin = path.join(root, 'containers', c.name, 'bin')
    mkdirSync(bin, { recursive: true })
    const link = path.join(bin, 'ffprobe')
    rmSync(link, { force: true })
    symlinkSync(ffprobe, link)
  }
}
