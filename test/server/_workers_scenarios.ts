/**
 * The listenWorkers scenarios, shared by workers.test.ts (Bun) and
 * _workers_deno.ts (Deno, run as a subprocess): plain functions that throw
 * on a failed check, so they run without a test framework.
 */
import { connect } from "../../src/client/connect.ts";
import type { ClientConfig } from "../../src/config.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { listenWorkers, type ListenWorkersOptions, type WorkerExitInfo, type WorkerTlsServer } from "../../src/server/workers/listen_workers.ts";
import type { Answer, AppData } from "./_worker_app.ts";
import { EARLY, replayClient } from "../context/_replay_client.ts";

export const IDENTITY = "workers-device";
export const SECRET = crypto.getRandomValues(new Uint8Array(32));
const APP = new URL("./_worker_app.ts", import.meta.url);

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

/** Start the test app in `workers` workers on an ephemeral port (`over`: e.g. bundled modules on Node). */
export function startWorkers(workers = 2, exits: WorkerExitInfo[] = [], over: Partial<ListenWorkersOptions> = {}): Promise<WorkerTlsServer> {
  const data: AppData = { identity: IDENTITY, secret: SECRET };
  return listenWorkers({ module: APP, workers, port: 0, data, onWorkerExit: (i) => exits.push(i), handshakeTimeout: 5_000, ...over });
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Crash a worker (an uncaught error in it, asked for by a client): it is
 * reported to onWorkerExit, replaced in its slot, and the replacement serves
 * tickets issued before the crash. Returns the crashed slot.
 */
export async function crashedWorkerIsReplaced(server: WorkerTlsServer, exits: WorkerExitInfo[]): Promise<number> {
  const first = await ask(server.port, pskClient());
  const session = first.sessions[0]!;
  const before = exits.length;
  const restarts = server.restarts;
  const crashed = (await ask(server.port, pskClient(), "crash")).answer.worker;
  await until("the crash to be noticed", () => exits.length > before);
  const exit = exits[before]!;
  check(exit.index === crashed && exit.replaced, `worker ${crashed} reported as replaced (got ${exit.index}, ${exit.replaced})`);
  await until("the replacement to listen", () => server.workers === 2);
  check(server.restarts === restarts + 1, "one restart");
  const seen = new Set<number>();
  for (let i = 0; i < 40 && !seen.has(crashed); i++) {
    const { answer } = await ask(server.port, { pskMode: "resumption", sessions: [session] });
    check(answer.resumed, "resumed after the crash");
    seen.add(answer.worker);
  }
  check(seen.has(crashed), `the replacement in slot ${crashed} served`);
  return crashed;
}

/** One connection: handshake, read the worker's answer, optionally send a command, close. Collects tickets. */
export async function ask(port: number, tls: ClientConfig, command?: string): Promise<{ answer: Answer; sessions: ClientSession[] }> {
  const sessions: ClientSession[] = [];
  const conn = await connect({ host: "127.0.0.1", port, tls: { ...tls, onSession: (s) => sessions.push(s) } });
  try {
    await conn.handshake;
    const reader = conn.readable.getReader();
    const { value } = await reader.read();
    check(value !== undefined, "the worker answered");
    const answer = JSON.parse(new TextDecoder().decode(value)) as Answer;
    // The ticket comes right after the handshake; give it a moment if the answer overtook it.
    for (let i = 0; i < 100 && sessions.length === 0 && tls.pskMode !== "resumption"; i++) await new Promise((r) => setTimeout(r, 10));
    reader.releaseLock();
    if (command !== undefined) {
      const w = conn.writable.getWriter();
      await w.write(new TextEncoder().encode(command));
      w.releaseLock();
    }
    return { answer, sessions };
  } finally {
    await conn.close().catch(() => {});
  }
}

/** A full PSK handshake's client configuration. */
export function pskClient(): ClientConfig {
  return { psks: [createPsk({ identity: IDENTITY, secret: SECRET })] };
}

/** A ticket from worker A resumes on worker B (and 0-RTT data is taken there once). Returns [issuer, resumer]. */
export async function ticketResumesOnAnotherWorker(server: WorkerTlsServer): Promise<[number, number]> {
  const first = await ask(server.port, pskClient());
  check(first.sessions.length === 1, "the first connection got a ticket");
  const issuer = first.answer.worker;
  for (let i = 0; i < 40; i++) {
    const { answer } = await ask(server.port, { pskMode: "resumption", sessions: [first.sessions[0]!] });
    check(answer.resumed, `connection ${i} resumed on worker ${answer.worker} with a ticket from worker ${issuer}`);
    if (answer.worker !== issuer) return [issuer, answer.worker];
  }
  throw new Error(`40 connections all reached worker ${issuer}: the kernel did not spread them`);
}

/**
 * The same 0-RTT first flight sent `copies` times at once: exactly one copy
 * has its early data accepted, whichever workers they reach. Retried with a
 * fresh ticket until the copies reached at least two workers. Returns the
 * workers reached and how many copies were accepted.
 */
export async function replayRefusedAcrossWorkers(server: WorkerTlsServer, copies = 10): Promise<{ workers: number[]; accepted: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const first = await ask(server.port, pskClient());
    const session = first.sessions[0];
    check(session !== undefined && session.maxEarlyData > 0, "a ticket allowing 0-RTT");
    const answers = await Promise.all(Array.from({ length: copies }, () => ask(server.port, replayClient(session!))));
    for (const a of answers) check(a.answer.resumed, "every copy resumed");
    const accepted = answers.filter((a) => a.answer.early !== null);
    check(accepted.length === 1, `exactly one copy's 0-RTT data accepted (got ${accepted.length})`);
    check(accepted[0]!.answer.early === new TextDecoder().decode(EARLY), "the accepted early data is the client's");
    const workers = [...new Set(answers.map((a) => a.answer.worker))].sort();
    if (workers.length >= 2) return { workers, accepted: accepted.length };
  }
  throw new Error("the copies never reached two workers");
}

/**
 * The subprocess check of the other runtimes (_workers_deno.ts, _workers_node.ts):
 * resumption and 0-RTT anti-replay across two workers, a crashed worker
 * replaced, a clean shutdown; prints each result and "RUNTIME workers ok".
 */
export async function runWorkerScenarios(runtime: string, over: Partial<ListenWorkersOptions> = {}): Promise<void> {
  const exits: WorkerExitInfo[] = [];
  const server = await startWorkers(2, exits, over);
  try {
    if (server.workers !== 2) throw new Error(`${server.workers} workers listening`);
    const [a, b] = await ticketResumesOnAnotherWorker(server);
    console.log(`ticket from worker ${a} resumed on worker ${b}`);
    const r = await replayRefusedAcrossWorkers(server, 10);
    console.log(`10 replayed 0-RTT copies over workers ${r.workers.join(",")}: ${r.accepted} accepted`);
    const crashed = await crashedWorkerIsReplaced(server, exits);
    console.log(`worker ${crashed} crashed and was replaced`);
  } finally {
    await server.close({ graceMs: 200 });
  }
  const left: number = server.workers;
  if (left !== 0) throw new Error(`${left} workers left after close`);
  console.log(`${runtime} workers ok`);
}
