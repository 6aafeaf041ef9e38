/**
 * What a `@WampPublish` handler may return to change a publication before delivery:
 * `new WampDelivery(event)` replaces the event, and the options replace the exclude or eligible
 * lists. `true` delivers the publication unchanged; `false`, `null` or `undefined` drops it.
 */
export class WampDelivery {
  constructor(
    readonly event: unknown,
    readonly recipients: { readonly exclude?: readonly string[]; readonly eligible?: readonly string[] } = {},
  ) {}
}

export type WampPublishDecision = WampDelivery | boolean | null | undefined;
