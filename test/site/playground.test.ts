import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlaygroundBroker } from '../../grader/broker/playground-broker.ts'
import { findFreePort } from '../../grader/broker/free-port.ts'
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/chromium.ts'
import { type StaticServer, buildSite, makeSiteDir, removeSiteDir, serveStatic } from '../support/static-site.ts'

/**
 * The Playground in Chromium, as a student uses it on the static site: the broker runs in the page (aedes,
 * bundled for the browser), and the same lab also drives `npm run broker` over WebSockets. One build for the
 * whole file.
 */
const dist = makeSiteDir('playground')
const lessons = {
  pubSub: '/lessons/01-mqtt-in-a-nutshell/',
  retained: '/lessons/04-retained-messages/',
  will: '/lessons/05-last-will/',
}

describe.skipIf(!hasChromium && process.env.CI !== 'true')(`the Playground in Chromium${chromiumSkipReason}`, () => {
  let browser: Browser
  let server: StaticServer
  beforeAll(async () => {
    await buildSite(dist)
    browser = await launchChromium()
    server = await serveStatic(dist)
  }, 300_000)
  afterAll(async () => {
    await browser?.close()
    await server?.[Symbol.asyncDispose]()
    removeSiteDir(dist)
  })

  /** A lesson page with its lab started; every console error, page error and failed request is recorded. */
  async function startLab(pathname: string, query = ''): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage()
    const errors: string[] = []
    const requests: string[] = []
    page.on('request', (request) => requests.push(new URL(request.url()).pathname))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`)
    })
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`))
    await page.goto(`${server.url}${pathname}${query}`, { waitUntil: 'load' })
    return { page, errors, requests }
  }
  const start = async (page: Page) => page.locator('[data-playground] [data-start]').click()
  const client = (page: Page, name: string) => page.locator(`[data-playground] [data-client="${name}"]`)
  const state = (card: Locator) => card.locator('[data-state]').textContent()
  const packets = (card: Locator) => card.locator('[data-packets] li').allTextContents()
  const messages = (card: Locator) => card.locator('[data-messages] li').allTextContents()
  const status = (card: Locator) => card.locator('.status').textContent()
  const waitOnline = async (...cards: Locator[]) => {
    for (const card of cards) await expect.poll(() => state(card), { timeout: 10_000 }).toBe('online')
  }
  /** Waits for a packet line in a client's log that contains every one of `parts`. */
  const waitForPacket = (card: Locator, ...parts: string[]) =>
    expect
      .poll(async () => (await packets(card)).some((line) => parts.every((part) => line.includes(part))), {
        timeout: 10_000,
      })
      .toBe(true)
  const publish = async (card: Locator, topic: string, payload: string, { qos = 0, retain = false } = {}) => {
    const form = card.locator('[data-publish]')
    await form.locator('input[name="topic"]').fill(topic)
    await form.locator('input[name="payload"]').fill(payload)
    await form.locator('select[name="qos"]').selectOption(String(qos))
    await form.locator('input[name="retain"]').setChecked(retain)
    await form.locator('button[type="submit"]').click()
  }
  const subscribe = async (card: Locator, filter: string, qos = 1) => {
    const form = card.locator('[data-subscribe]')
    await form.locator('input[name="filter"]').fill(filter)
    await form.locator('select[name="qos"]').selectOption(String(qos))
    await form.locator('button[type="submit"]').click()
    await expect.poll(() => card.locator('[data-subscriptions] code').allTextContents()).toContain(filter)
  }
  const addClient = async (page: Page, name: string) => {
    const form = page.locator('[data-playground] [data-add-client]')
    await form.locator('input[name="name"]').fill(name)
    await form.locator('button[type="submit"]').click()
    return client(page, name)
  }

  it('loads the broker only when the lab starts, then publishes and subscribes in the page, packet by packet', async () => {
    const { page, errors, requests } = await startLab(lessons.pubSub)
    expect(requests.filter((url) => /\/lab\.[\w-]+\.js$/.test(url))).toEqual([])
    await start(page)
    const sensor = client(page, 'sensor')
    const dashboard = client(page, 'dashboard')
    await waitOnline(sensor, dashboard)
    expect(requests.filter((url) => /\/lab\.[\w-]+\.js$/.test(url))).toHaveLength(1)
    await waitForPacket(
      sensor,
      'sensor → broker',
      'CONNECT clientId="sensor"',
      'keepalive=60',
      'clean=true',
      'will=none',
    )
    await waitForPacket(sensor, 'broker → sensor', 'CONNACK rc=0')
    await waitForPacket(dashboard, 'dashboard → broker', 'SUBSCRIBE', '"home/#" qos=0')
    await waitForPacket(dashboard, 'broker → dashboard', 'SUBACK')

    // The lesson's steps: garden/temperature matches no subscription, home/kitchen/temperature does. The
    // second publish is the barrier: once it has arrived, the first would have too.
    await publish(sensor, 'garden/temperature', '14')
    await publish(sensor, 'home/kitchen/temperature', '21.5')
    await expect.poll(() => messages(dashboard)).toEqual(['home/kitchen/temperature  21.5  (qos 0)'])
    await waitForPacket(
      sensor,
      'sensor → broker',
      'PUBLISH topic="home/kitchen/temperature" qos=0 retain=0 dup=0 payload="21.5"',
    )
    await waitForPacket(dashboard, 'broker → dashboard', 'PUBLISH topic="home/kitchen/temperature" qos=0')

    // Unsubscribed, the dashboard gets nothing more: its UNSUBSCRIBE is acknowledged, its list is empty.
    await dashboard.locator('[data-subscriptions] button', { hasText: 'Unsubscribe' }).click()
    await waitForPacket(dashboard, 'dashboard → broker', 'UNSUBSCRIBE', '"home/#"')
    await waitForPacket(dashboard, 'broker → dashboard', 'UNSUBACK')
    await expect
      .poll(() => dashboard.locator('[data-subscriptions] li').allTextContents())
      .toEqual(['No subscription.'])

    // A wildcard in a topic name: refused before anything is sent, and the client stays connected.
    const sentBefore = (await packets(sensor)).length
    await publish(sensor, 'home/+/temperature', '1')
    await expect.poll(() => status(sensor)).toContain('Not sent: a topic name must not contain the wildcards + or #')
    expect((await packets(sensor)).length).toBe(sentBefore)
    expect(await state(sensor)).toBe('online')
    expect(errors).toEqual([])
    await page.close()
  })

  it('QoS 1 and 2: the acknowledgements of both hops, and the granted QoS downgrades delivery', async () => {
    const { page, errors } = await startLab(lessons.pubSub)
    await start(page)
    const sensor = client(page, 'sensor')
    const dashboard = client(page, 'dashboard')
    await waitOnline(sensor, dashboard)
    await subscribe(dashboard, 'qos/two', 2)
    await subscribe(dashboard, 'qos/one', 1)
    await publish(sensor, 'qos/two', 'exactly once', { qos: 2 })
    for (const packet of ['PUBLISH topic="qos/two" qos=2', 'PUBREC', 'PUBREL', 'PUBCOMP']) {
      await waitForPacket(sensor, packet)
      await waitForPacket(dashboard, packet)
    }
    await waitForPacket(sensor, 'sensor → broker', 'PUBREL')
    await waitForPacket(dashboard, 'dashboard → broker', 'PUBREC')
    // Published at QoS 2, subscribed at QoS 1: the broker delivers at QoS 1 (PUBACK, no PUBREC).
    await publish(sensor, 'qos/one', 'downgraded', { qos: 2 })
    await waitForPacket(dashboard, 'broker → dashboard', 'PUBLISH topic="qos/one" qos=1')
    await waitForPacket(dashboard, 'dashboard → broker', 'PUBACK')
    expect(errors).toEqual([])
    await page.close()
  })

  it('retained: a late subscriber gets the stored state; an empty retained message clears it, and is named so', async () => {
    const { page, errors } = await startLab(lessons.retained)
    await start(page)
    const thermostat = client(page, 'thermostat')
    const late = client(page, 'late-dashboard')
    await waitOnline(thermostat)
    expect(await state(late)).toBe('offline')
    await publish(thermostat, 'acme/hq/thermostat-hall/state', '{"setpoint":20.5}', { qos: 1, retain: true })
    await waitForPacket(thermostat, 'broker → thermostat', 'PUBACK')
    await late.locator('[data-action="connect"]').click()
    await waitOnline(late)
    await subscribe(late, 'acme/hq/+/state', 1)
    await expect
      .poll(() => messages(late))
      .toEqual(['acme/hq/thermostat-hall/state  {"setpoint":20.5}  (retained, qos 1)'])
    await waitForPacket(late, 'broker → late-dashboard', 'PUBLISH topic="acme/hq/thermostat-hall/state" qos=1 retain=1')

    await publish(thermostat, 'acme/hq/thermostat-hall/state', '', { qos: 1, retain: true })
    await expect
      .poll(() => status(thermostat))
      .toBe('Cleared the retained message of acme/hq/thermostat-hall/state (an empty retained message deletes it).')
    await expect.poll(async () => (await messages(late))[0]).toBe('acme/hq/thermostat-hall/state  (empty)  (qos 1)')
    await waitForPacket(thermostat, 'PUBLISH topic="acme/hq/thermostat-hall/state" qos=1 retain=1', 'payload=(empty)')

    // A newcomer gets nothing retained any more; its own live message is the barrier.
    const newcomer = await addClient(page, 'newcomer')
    await newcomer.locator('[data-action="connect"]').click()
    await waitOnline(newcomer)
    await subscribe(newcomer, 'acme/hq/#', 1)
    await publish(newcomer, 'acme/hq/barrier', 'after the subscription', { qos: 1 })
    await expect.poll(() => messages(newcomer)).toEqual(['acme/hq/barrier  after the subscription  (qos 1)'])
    expect(errors).toEqual([])
    await page.close()
  })

  it('a clean disconnect discards the will; a power cut makes the broker publish it', async () => {
    const { page, errors } = await startLab(lessons.will)
    await start(page)
    const gateway = client(page, 'gateway-3')
    const dashboard = client(page, 'dashboard')
    await waitOnline(gateway, dashboard)
    await waitForPacket(
      gateway,
      'CONNECT clientId="gateway-3"',
      'keepalive=5',
      'will={topic="acme/plant-1/gateway-3/status" payload="offline" qos=1 retain=1}',
    )
    await publish(gateway, 'acme/plant-1/gateway-3/status', 'online', { qos: 1, retain: true })
    await expect.poll(() => messages(dashboard)).toEqual(['acme/plant-1/gateway-3/status  online  (qos 1)'])

    await gateway.locator('[data-action="disconnect"]').click()
    await waitForPacket(gateway, 'gateway-3 → broker', 'DISCONNECT')
    await expect.poll(() => state(gateway)).toBe('offline')
    // Barrier: a message published after the goodbye arrives; a will would have arrived before it.
    const observer = await addClient(page, 'observer')
    await observer.locator('[data-action="connect"]').click()
    await waitOnline(observer)
    await publish(observer, 'acme/plant-1/observer/status', 'online', { qos: 1 })
    await expect.poll(async () => (await messages(dashboard))[0]).toBe('acme/plant-1/observer/status  online  (qos 1)')
    expect((await messages(dashboard)).filter((line) => line.includes('offline'))).toEqual([])

    await gateway.locator('[data-action="connect"]').click()
    await waitOnline(gateway)
    await gateway.locator('[data-action="power-cut"]').click()
    await expect
      .poll(async () => (await messages(dashboard))[0])
      .toBe('acme/plant-1/gateway-3/status  offline  (qos 1)')
    expect((await packets(gateway)).filter((line) => line.includes('gateway-3 → broker  DISCONNECT'))).toHaveLength(1)
    await expect
      .poll(() => packets(gateway))
      .toContainEqual(expect.stringContaining('power cut: the connection is gone, no DISCONNECT was sent'))
    expect(errors).toEqual([])
    await page.close()
  })

  it('keepalive: PINGREQ/PINGRESP while idle; frozen, the broker gives up after 1.5 × keepalive and publishes the will', async () => {
    const { page, errors } = await startLab(lessons.will)
    await start(page)
    const gateway = client(page, 'gateway-3')
    const dashboard = client(page, 'dashboard')
    await waitOnline(gateway, dashboard)
    await gateway.locator('[data-action="disconnect"]').click()
    await expect.poll(() => state(gateway)).toBe('offline')
    await gateway.locator('summary').click()
    await gateway.locator('input[name="keepalive"]').fill('1')
    await gateway.locator('[data-action="connect"]').click()
    await waitForPacket(gateway, 'CONNECT clientId="gateway-3"', 'keepalive=1')
    await waitOnline(gateway)
    await waitForPacket(gateway, 'gateway-3 → broker', 'PINGREQ')
    await waitForPacket(gateway, 'broker → gateway-3', 'PINGRESP')
    expect(await messages(dashboard)).toEqual([])
    const frozenAt = Date.now()
    await gateway.locator('[data-action="freeze"]').click()
    expect(await state(gateway)).toBe('frozen')
    await expect
      .poll(async () => (await messages(dashboard))[0], { timeout: 10_000 })
      .toBe('acme/plant-1/gateway-3/status  offline  (qos 1)')
    // aedes waits 1.5 × keepalive (and a millisecond) after the last packet: never less than that.
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(1000)
    await expect.poll(() => status(gateway)).toContain('The broker closed the connection')
    await expect.poll(() => packets(gateway)).toContainEqual(expect.stringContaining('connection closed by the broker'))
    expect(errors).toEqual([])
    await page.close()
  })

  it('a persistent session keeps subscriptions and queues QoS 1 messages while the client is away', async () => {
    const { page, errors } = await startLab(lessons.pubSub)
    await start(page)
    const sensor = client(page, 'sensor')
    await waitOnline(sensor)
    const phone = await addClient(page, 'phone')
    await phone.locator('summary').click()
    await phone.locator('input[name="clean"]').uncheck()
    await phone.locator('[data-action="connect"]').click()
    await waitForPacket(phone, 'CONNECT clientId="phone"', 'clean=false')
    await waitForPacket(phone, 'CONNACK', 'sessionPresent=false')
    await subscribe(phone, 'home/#', 1)
    await phone.locator('[data-action="disconnect"]').click()
    await expect.poll(() => state(phone)).toBe('offline')
    await publish(sensor, 'home/door', 'opened while you were away', { qos: 1 })
    await waitForPacket(sensor, 'broker → sensor', 'PUBACK')
    await phone.locator('[data-action="connect"]').click()
    await waitForPacket(phone, 'CONNACK', 'sessionPresent=true')
    await expect.poll(() => messages(phone)).toEqual(['home/door  opened while you were away  (qos 1)'])
    // Still subscribed: the broker kept the subscription, the list shows it.
    expect(await phone.locator('[data-subscriptions] code').allTextContents()).toEqual(['home/#'])
    expect(errors).toEqual([])
    await page.close()
  })

  it('a dropped PUBACK: the broker re-sends the message on the next connection, and the log tells the truth about DUP', async () => {
    const { page, errors } = await startLab(lessons.pubSub)
    await start(page)
    const sensor = client(page, 'sensor')
    await waitOnline(sensor)
    const phone = await addClient(page, 'phone')
    await phone.locator('summary').click()
    await phone.locator('input[name="clean"]').uncheck()
    await phone.locator('[data-action="connect"]').click()
    await waitForPacket(phone, 'CONNACK', 'sessionPresent=false')
    await subscribe(phone, 'home/#', 1)
    await phone.locator('[data-action="drop-puback"]').click()
    expect(await phone.locator('[data-action="drop-puback"]').getAttribute('aria-pressed')).toBe('true')
    await publish(sensor, 'home/door', 'opened', { qos: 1 })
    await waitForPacket(phone, 'broker → phone', 'PUBLISH', 'home/door')
    await waitForPacket(phone, 'not sent (Drop the next PUBACK)')
    expect((await packets(phone)).some((line) => line.includes('phone → broker') && line.includes('PUBACK'))).toBe(
      false,
    )
    // The device dies before it acknowledges; it comes back with its session.
    await phone.locator('[data-action="power-cut"]').click()
    await expect.poll(() => state(phone)).toBe('offline')
    await phone.locator('[data-action="connect"]').click()
    await waitForPacket(phone, 'CONNACK', 'sessionPresent=true')
    // The same message again, this time acknowledged; aedes sends it with dup=0, and the log says what the spec wants.
    await waitForPacket(phone, 're-send of a message this client never acknowledged')
    await waitForPacket(phone, 'phone → broker', 'PUBACK')
    const resend = (await packets(phone)).find((line) => line.includes('re-send'))!
    expect(resend).toMatch(
      /dup=1|requires dup=1 on it \[MQTT-3\.3\.1-1\]; aedes, the broker in this page, never sets DUP/,
    )
    expect(errors).toEqual([])
    await page.close()
  })

  it('the broker selector explains what a browser needs instead of dialling nowhere', async () => {
    const { page } = await startLab(lessons.pubSub)
    await page.locator('[data-broker] select').selectOption('url')
    await page.locator('[data-broker] input[name="brokerUrl"]').fill('localhost:8080')
    await start(page)
    const sensor = client(page, 'sensor')
    await expect.poll(() => status(sensor)).toContain('"localhost:8080" has no scheme')
    await expect.poll(() => status(sensor)).toContain('ws://localhost:8080')
    await page.locator('[data-broker] input[name="brokerUrl"]').fill('mqtt://localhost:1883')
    await sensor.locator('[data-action="connect"]').click()
    await expect
      .poll(() => status(sensor))
      .toContain('A browser cannot open mqtt:// (raw TCP) connections, only WebSockets')
    await expect.poll(() => status(sensor)).toContain('ws://localhost:8080')
    expect(await state(sensor)).toBe('offline')
    await page.close()
  })

  it('drives npm run broker over WebSockets too', async () => {
    await using broker = await startPlaygroundBroker({ port: 0, wsPort: 0 })
    const brokerLog: string[] = []
    broker.aedes.on('publish', (packet, sender) => sender && brokerLog.push(`${sender.id} ${packet.topic}`))
    const { page, errors } = await startLab(lessons.pubSub, `?broker=ws://127.0.0.1:${broker.wsPort}`)
    await start(page)
    const sensor = client(page, 'sensor')
    const dashboard = client(page, 'dashboard')
    await waitOnline(sensor, dashboard)
    expect(await status(sensor)).toContain(`Connected to ws://127.0.0.1:${broker.wsPort}`)
    await publish(sensor, 'home/kitchen/temperature', '21.5', { qos: 1 })
    await expect.poll(() => messages(dashboard)).toEqual(['home/kitchen/temperature  21.5  (qos 0)'])
    expect(brokerLog).toContain('sensor home/kitchen/temperature')
    // No freezing a WebSocket from here: the button says so by being disabled.
    expect(await sensor.locator('[data-action="freeze"]').isDisabled()).toBe(true)
    await sensor.locator('[data-action="power-cut"]').click()
    await expect.poll(() => state(sensor)).toBe('offline')
    expect(errors).toEqual([])
    await page.close()
  })

  it('says how to start a broker when none answers', async () => {
    const closedPort = await findFreePort()
    const { page } = await startLab(lessons.pubSub, `?broker=ws://127.0.0.1:${closedPort}`)
    await start(page)
    await expect.poll(() => status(client(page, 'sensor')), { timeout: 10_000 }).toContain('npm run broker')
    await page.close()
  })
})
