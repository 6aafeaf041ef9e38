import { performance } from 'node:perf_hooks';
import { runScenario } from './scenarios.js';
import type { LoadgenMessage, OrchestratorMessage, Task } from './task.js';

/** A load-generator process: runs the task given as argv[2] (JSON) and reports over IPC. */
async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as Task;
  const waiting = new Map<string, () => void>();
  process.on('message', (message: OrchestratorMessage) => {
    if (message.type === 'marked') waiting.get(message.name)?.();
  });
  const mark = (name: string, gc?: boolean) =>
    new Promise<void>((resolve) => {
      waiting.set(name, resolve);
      send({ type: 'mark', name, gc });
    });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const figures = await runScenario(task, mark);
    const cpu = process.cpuUsage(cpuBefore);
    send({ type: 'result', result: { figures, loadgenCpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - started } });
  } catch (error) {
    send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  process.disconnect?.();
}

function send(message: LoadgenMessage): void {
  process.send?.(message);
}

void main();
