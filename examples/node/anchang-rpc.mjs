// A minimal caller of Anchang's RPC API, written from the wire format of docs/rpc.md (nameko RPC
// over AMQP 0-9-1) with amqplib alone: no nameko, no generated code.
import { randomUUID } from "node:crypto";
import amqp from "amqplib";

const RPC_EXCHANGE = "nameko-rpc";

/** An error reply: `excType` is the contract's error type (ValidationError, Unauthenticated, ...). */
export class RemoteError extends Error {
  constructor(error) {
    super(`${error.exc_type}: ${error.value}`);
    this.excType = error.exc_type;
    this.value = error.value;
  }
}

/**
 * Connect to the broker and return `{ call, close }`. `call(service, method, kwargs, { token })`
 * resolves with the reply's `result` or rejects with a `RemoteError`.
 */
export async function connect(amqpUri, { timeoutMs = 10_000, name = "node_example" } = {}) {
  const connection = await amqp.connect(amqpUri);
  const channel = await connection.createChannel();
  await channel.assertExchange(RPC_EXCHANGE, "topic", { durable: true });

  // Our reply queue: replies are published to `nameko-rpc` with the routing key we put in
  // `reply_to`, a lowercase uuid4; the queue's name follows nameko's `rpc.reply-<name>-<uuid4>`,
  // which the broker's `caller` user may declare (deploy/rabbitmq/README.md).
  const replyKey = randomUUID();
  const { queue } = await channel.assertQueue(`rpc.reply-${name}-${replyKey}`, { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, RPC_EXCHANGE, replyKey);

  const pending = new Map(); // correlation id -> { resolve, reject, timer }
  const settle = (correlationId, outcome) => {
    const waiting = pending.get(correlationId);
    if (!waiting) return; // a late reply to a call that timed out
    pending.delete(correlationId);
    clearTimeout(waiting.timer);
    outcome(waiting);
  };
  await channel.consume(queue, (message) => {
    const reply = JSON.parse(message.content.toString("utf8"));
    settle(message.properties.correlationId, (waiting) =>
      reply.error ? waiting.reject(new RemoteError(reply.error)) : waiting.resolve(reply.result));
  }, { noAck: true });
  // Published with `mandatory`: a request no queue is bound for (the service is not running)
  // comes back at once instead of waiting for the time-out.
  channel.on("return", (message) => settle(message.properties.correlationId, (waiting) =>
    waiting.reject(new RemoteError({ exc_type: "UnknownService", value: message.fields.routingKey }))));

  function call(service, method, kwargs = {}, { token } = {}) {
    const correlationId = randomUUID();
    const headers = token ? { "nameko.authorization": `Bearer ${token}` } : {};
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(correlationId, (waiting) =>
        waiting.reject(new RemoteError({ exc_type: "Timeout", value: `${service}.${method}` }))), timeoutMs);
      pending.set(correlationId, { resolve, reject, timer });
      channel.publish(RPC_EXCHANGE, `${service}.${method}`, Buffer.from(JSON.stringify({ args: [], kwargs })), {
        replyTo: replyKey,
        correlationId,
        contentType: "application/json",
        contentEncoding: "utf-8",
        headers,
        mandatory: true,
      });
    });
  }

  async function close() {
    for (const correlationId of [...pending.keys()]) {
      settle(correlationId, (waiting) => waiting.reject(new Error("connection closed")));
    }
    await connection.close();
  }

  return { call, close };
}
