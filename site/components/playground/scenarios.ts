/** What a Playground client starts with: a name, its connection options, its subscriptions, a message to send. */
export interface ClientPreset {
  name: string
  /** Seconds; 0 turns keepalive off. */
  keepaliveS?: number
  /** false: a persistent session (MQTT 3.1.1 clean session = 0). */
  clean?: boolean
  will?: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean }
  /** Subscribed as soon as the lab starts. */
  subscriptions?: Array<{ filter: string; qos: 0 | 1 | 2 }>
  /** What the subscribe form offers first. */
  filter?: string
  /** What the publish form offers first. */
  publish?: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean }
  /** Stays offline when the lab starts (the student connects it at the step that needs it). */
  startsOffline?: boolean
}

export interface Scenario {
  /** One sentence above the clients: what to try. */
  intro: string
  clients: ClientPreset[]
}

/**
 * Each lesson's Playground opens on the lesson's own story: the same topics and steps as its text, so the
 * student does what they just read instead of setting up a form.
 */
export const scenarios = {
  /** Lesson 1: a sensor publishes, a dashboard subscribed to home/# receives. */
  'publish-subscribe': {
    intro:
      'The dashboard is subscribed to home/#. Publish from the sensor, then publish to garden/temperature: only the first arrives.',
    clients: [
      {
        name: 'sensor',
        publish: { topic: 'home/kitchen/temperature', payload: '21.5', qos: 0, retain: false },
        filter: 'home/kitchen/#',
      },
      {
        name: 'dashboard',
        subscriptions: [{ filter: 'home/#', qos: 0 }],
        filter: 'garden/#',
        publish: { topic: 'garden/temperature', payload: '14', qos: 0, retain: false },
      },
    ],
  },
  /** Lesson 4: a retained state reaches a dashboard that subscribes later. */
  retained: {
    intro:
      'Publish the retained state from the thermostat, then connect the late dashboard and subscribe: it gets the state at once. Publish an empty retained message to clear it.',
    clients: [
      {
        name: 'thermostat',
        publish: {
          topic: 'acme/hq/thermostat-hall/state',
          payload: '{"setpoint":20.5,"mode":"heat"}',
          qos: 1,
          retain: true,
        },
      },
      {
        name: 'late-dashboard',
        startsOffline: true,
        filter: 'acme/hq/+/state',
        publish: { topic: 'acme/hq/thermostat-hall/commands', payload: '{"setpoint":21}', qos: 1, retain: false },
      },
    ],
  },
  /** Lesson 5: a device with a retained will; a dashboard watches the status topics. */
  'last-will': {
    intro:
      'The gateway announced itself online, with a retained will "offline". Try "Disconnect cleanly" (no will), then connect again and cut its power: the dashboard sees the will. "Freeze" stops it like Ctrl-Z: the broker waits 1.5 × keepalive.',
    clients: [
      {
        name: 'gateway-3',
        keepaliveS: 5,
        will: { topic: 'acme/plant-1/gateway-3/status', payload: 'offline', qos: 1, retain: true },
        publish: { topic: 'acme/plant-1/gateway-3/status', payload: 'online', qos: 1, retain: true },
      },
      { name: 'dashboard', subscriptions: [{ filter: 'acme/plant-1/+/status', qos: 1 }], filter: 'acme/plant-1/#' },
    ],
  },
  /** Lesson 6: a device takes commands and reports state; a dashboard sends commands. */
  'telemetry-and-commands': {
    intro:
      'The thermostat listens on its commands topic only; the dashboard watches acme/hq/#. Send a command, then answer it from the thermostat with its new retained state.',
    clients: [
      {
        name: 'thermostat-hall',
        will: { topic: 'acme/hq/thermostat-hall/status', payload: 'offline', qos: 1, retain: true },
        subscriptions: [{ filter: 'acme/hq/thermostat-hall/commands', qos: 1 }],
        publish: {
          topic: 'acme/hq/thermostat-hall/state',
          payload: '{"setpoint":21.5,"mode":"off"}',
          qos: 1,
          retain: true,
        },
      },
      {
        name: 'dashboard',
        subscriptions: [{ filter: 'acme/hq/#', qos: 1 }],
        publish: { topic: 'acme/hq/thermostat-hall/commands', payload: '{"setpoint": 21.5}', qos: 1, retain: false },
      },
    ],
  },
} satisfies Record<string, Scenario>

export type ScenarioName = keyof typeof scenarios
