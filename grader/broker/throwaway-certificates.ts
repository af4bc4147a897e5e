import { generateKeyPair, randomBytes, sign as cryptoSign } from 'node:crypto'
import { promisify } from 'node:util'
import forge from 'node-forge'

export interface CertificateAuthority {
  /** PEM, for cafile= and for clients' `ca` option. */
  certificatePem: string
  /** The name students see in errors: "mqtt-course throwaway CA 3f2a". */
  commonName: string
  readonly privateKeyPem: string
  readonly certificate: forge.pki.Certificate
}

export interface ServerCertificate {
  certificatePem: string
  privateKeyPem: string
}

const validityMs = 24 * 60 * 60 * 1000

/**
 * A certificate authority that lives for one grading run. Keys and signatures come from Node's native crypto
 * (fast, keys off the event loop); node-forge only assembles the X.509 certificates, which Node cannot do.
 */
export async function createCertificateAuthority(label = 'mqtt-course throwaway CA'): Promise<CertificateAuthority> {
  const { privateKeyPem, publicKey } = await generateRsaKeys()
  const commonName = `${label} ${randomBytes(2).toString('hex')}`
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = publicKey
  certificate.serialNumber = serialNumber()
  setValidity(certificate)
  const subject = [{ name: 'commonName', value: commonName }]
  certificate.setSubject(subject)
  certificate.setIssuer(subject)
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  sign(certificate, privateKeyPem)
  return { certificatePem: forge.pki.certificateToPem(certificate), commonName, privateKeyPem, certificate }
}

/**
 * A server certificate signed by `authority`, by default for localhost, 127.0.0.1 and ::1 (all a test may talk
 * to). `hostName` makes one for that name only: valid, but not for the address a client dialled.
 */
export async function createServerCertificate(
  authority: CertificateAuthority | Promise<CertificateAuthority>,
  hostName?: string,
): Promise<ServerCertificate> {
  // The key is made (on libuv's thread pool) while the authority may still be in the making.
  const [{ publicKey, privateKeyPem }, signer] = await Promise.all([generateRsaKeys(), authority])
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = publicKey
  certificate.serialNumber = serialNumber()
  setValidity(certificate)
  certificate.setSubject([{ name: 'commonName', value: hostName ?? 'localhost' }])
  certificate.setIssuer(signer.certificate.subject.attributes)
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hostName
        ? [{ type: 2, value: hostName }]
        : [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
    },
  ])
  sign(certificate, signer.privateKeyPem)
  return { certificatePem: forge.pki.certificateToPem(certificate), privateKeyPem }
}

const generateKeyPairAsync = promisify(generateKeyPair)

/** On libuv's thread pool: the event loop (other exercises' checks, a batch's other grades) keeps turning. */
async function generateRsaKeys() {
  const { privateKey: privateKeyPem, publicKey: publicKeyPem } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { privateKeyPem, publicKey: forge.pki.publicKeyFromPem(publicKeyPem) }
}

/**
 * What node-forge's certificate.sign(key, sha256) does, with Node's native RSA signature instead of forge's
 * JavaScript one: ~150 ms of the event loop per certificate, which every other grade running then waited for.
 */
function sign(certificate: forge.pki.Certificate, privateKeyPem: string): void {
  const algorithmOid = forge.pki.oids.sha256WithRSAEncryption
  const signed = certificate as forge.pki.Certificate & {
    signatureOid: string
    siginfo: { algorithmOid: string }
    tbsCertificate: forge.asn1.Asn1
    signature: string
  }
  signed.signatureOid = algorithmOid
  signed.siginfo.algorithmOid = algorithmOid
  signed.tbsCertificate = (
    forge.pki as unknown as { getTBSCertificate(certificate: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(certificate)
  const toBeSigned = Buffer.from(forge.asn1.toDer(signed.tbsCertificate).getBytes(), 'binary')
  signed.signature = cryptoSign('sha256', toBeSigned, privateKeyPem).toString('binary')
}

function setValidity(certificate: forge.pki.Certificate): void {
  // Valid from an hour ago, in case the broker's clock (a container's) is a little behind.
  certificate.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000)
  certificate.validity.notAfter = new Date(Date.now() + validityMs)
}

/** A positive serial number: 16 random bytes with the high bit cleared (RFC 5280 4.1.2.2). */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] &= 0x7f
  return bytes.toString('hex')
}
