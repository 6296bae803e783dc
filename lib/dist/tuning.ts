/**
 * Open MPI settings simdnet picks for its own collectives, put into this process's environment (as OMPI_MCA_*
 * variables, which Open MPI reads in MPI_Init) just before MPI starts — only where the user chose nothing:
 * `mpirun --mca NAME VALUE` and `mpirun -x OMPI_MCA_NAME=VALUE` reach each rank as OMPI_MCA_NAME, and are kept.
 *
 * - At 2 ranks, the non-blocking allreduce (Open MPI's libnbc) uses recursive doubling: both ranks send their bucket
 *   at once and each adds the other's, one exchange. Open MPI's own choice below 4 ranks (and for any in-place
 *   allreduce, which the gradient buckets are) is a binomial tree: rank 1 sends, rank 0 adds and sends the sum back —
 *   two exchanges one after the other, each waiting for the other rank's next progress call, with the same bytes.
 *   The sums are bit-identical on both ranks (each computes rank 0's + rank 1's, in that order). Measured A/B: see
 *   `npm run bench:dist -- --ab allreduce`. Larger worlds keep Open MPI's choice (a ring for large buckets).
 *   To get Open MPI's choice back: OMPI_MCA_coll_libnbc_iallreduce_algorithm=0.
 */

/** The OMPI_MCA_* variables simdnet would set for a world of `size` ranks (before checking what is set already). */
export function mpiDefaults(size: number): Record<string, string> {
  return size === 2 ? { OMPI_MCA_coll_libnbc_iallreduce_algorithm: '4' } : {};
}

/**
 * Sets simdnet's defaults in `env` where unset; the world size comes from mpirun's OMPI_COMM_WORLD_SIZE (absent: a
 * singleton, nothing to set). Returns what it set.
 */
export function applyMpiDefaults(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const size = Number(env.OMPI_COMM_WORLD_SIZE ?? 1);
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(mpiDefaults(size))) {
    if (env[k] === undefined) {
      env[k] = v;
      set[k] = v;
    }
  }
  return set;
}
