import type { Cluster, Task } from './model.ts';

/** Each cluster's tasks in creation (seq) order as an array, for O(log n) ListTasks paging. */
export class TaskOrder {
  readonly #cache = new WeakMap<Cluster, { version: number; list: Task[] }>();
  #version = 0;

  /** Removes a task from its cluster (after the STOPPED retention). */
  forget(task: Task): void {
    if (task.cluster.tasks.delete(task.id)) this.#version++;
  }

  /** The cluster's tasks in order, cached until a task is added or forgotten. */
  ordered(cluster: Cluster): Task[] {
    const c = this.#cache.get(cluster);
    if (c && c.version === this.#version && c.list.length === cluster.tasks.size) return c.list;
    const list = [...cluster.tasks.values()];
    this.#cache.set(cluster, { version: this.#version, list });
    return list;
  }
}
