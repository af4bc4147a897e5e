import { chmod, writeFile } from 'node:fs/promises'
import { TemporaryFolder, enterableTemporaryDir } from '../process/temporary-folder.ts'
import path from 'node:path'
import {
  type CertificateAuthority,
  type ServerCertificate,
  createCertificateAuthority,
  createServerCertificate,
} from './throwaway-certificates.ts'

/**
 * Everything TLS for one grading run of an exercise that requires 'tls': the course CA and the broker's
 * certificate it signed (the files a student's mosquitto.conf names: ca.crt, server.crt, server.key), and two
 * impostors for the checks that a client refuses strangers: a rogue CA's server, and a course-CA certificate
 * for another host name.
 */
export interface TlsMaterial extends AsyncDisposable {
  ca: CertificateAuthority
  server: ServerCertificate
  rogueCa: CertificateAuthority
  rogueServer: ServerCertificate
  /** Signed by the course CA, but for another host name (broker.invalid): a client must check the name too. */
  wrongNameServer: ServerCertificate
  /** ca.crt on disk, for the student's program (CA_FILE). */
  caFile: string
  /** The files a broker config may name, by file name. */
  brokerFiles: Record<string, string>
}

type Certificates = Pick<TlsMaterial, 'ca' | 'server' | 'rogueCa' | 'rogueServer' | 'wrongNameServer'>

let certificates: Promise<Certificates> | undefined
let madeAt = 0
/** Well inside the certificates' 24 h validity: a watch left running for days still gets valid ones. */
const reuseForMs = 6 * 60 * 60 * 1000

/**
 * Five RSA keys and certificates cost ~0.4 s of CPU, so a process makes them once and every grading run in it
 * (a batch's grading process, `grade --all`, `watch`) uses the same set, each with a folder of its own. Nothing
 * secret crosses between runs: a program only ever gets ca.crt, and the keys live in the broker's folder, which
 * no sandboxed program can see.
 */
function throwawayCertificates(): Promise<Certificates> {
  if (!certificates || Date.now() - madeAt > reuseForMs) {
    madeAt = Date.now()
    certificates = makeCertificates()
    certificates.catch(() => (certificates = undefined))
  }
  return certificates
}

async function makeCertificates(): Promise<Certificates> {
  const ca = createCertificateAuthority('mqtt-course CA')
  const rogueCa = createCertificateAuthority('rogue CA (not the course CA)')
  const [caDone, server, rogueCaDone, rogueServer, wrongNameServer] = await Promise.all([
    ca,
    createServerCertificate(ca),
    rogueCa,
    createServerCertificate(rogueCa),
    createServerCertificate(ca, 'broker.invalid'),
  ])
  return { ca: caDone, server, rogueCa: rogueCaDone, rogueServer, wrongNameServer }
}

/** `forUidMode`: programs run as uids of their own without bubblewrap, and must be able to walk to ca.crt. */
export async function createTlsMaterial(forUidMode = false): Promise<TlsMaterial> {
  const { ca, server, rogueCa, rogueServer, wrongNameServer } = await throwawayCertificates()
  const folder = new TemporaryFolder('mqtt-course-tls-', forUidMode ? enterableTemporaryDir() : undefined)
  const caFile = path.join(folder.path, 'ca.crt')
  await writeFile(caFile, ca.certificatePem, { mode: 0o644 })
  // It holds the public CA alone: a program dropped to its workspace's uid must be able to reach it.
  await chmod(folder.path, 0o711)
  return {
    ca,
    server,
    rogueCa,
    rogueServer,
    wrongNameServer,
    caFile,
    brokerFiles: {
      'ca.crt': ca.certificatePem,
      'server.crt': server.certificatePem,
      'server.key': server.privateKeyPem,
    },
    async [Symbol.asyncDispose]() {
      folder.remove()
    },
  }
}
