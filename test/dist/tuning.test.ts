/**
 * Open MPI defaults simdnet sets before MPI_Init (lib/dist/tuning.ts): only at the world sizes they are for, and
 * never over a value the user chose (mpirun --mca / -x arrive as OMPI_MCA_* variables). No MPI needed.
 */
import { applyMpiDefaults, mpiDefaults } from '../../lib/dist/tuning';

const KEY = 'OMPI_MCA_coll_libnbc_iallreduce_algorithm';

describe('Open MPI defaults', () => {
  it('2 ranks: recursive doubling for the non-blocking allreduce', () => {
    const env: NodeJS.ProcessEnv = { OMPI_COMM_WORLD_SIZE: '2' };
    expect(applyMpiDefaults(env)).toEqual({ [KEY]: '4' });
    expect(env[KEY]).toBe('4');
  });

  it('a value the user set (mpirun --mca coll_libnbc_iallreduce_algorithm 0) is kept', () => {
    const env: NodeJS.ProcessEnv = { OMPI_COMM_WORLD_SIZE: '2', [KEY]: '0' };
    expect(applyMpiDefaults(env)).toEqual({});
    expect(env[KEY]).toBe('0');
  });

  it('other world sizes, and a process not started by mpirun, keep Open MPI\'s own choices', () => {
    for (const size of ['1', '3', '4', '16']) {
      const env: NodeJS.ProcessEnv = { OMPI_COMM_WORLD_SIZE: size };
      expect(applyMpiDefaults(env)).toEqual({});
      expect(env[KEY]).toBeUndefined();
    }
    const alone: NodeJS.ProcessEnv = {};
    expect(applyMpiDefaults(alone)).toEqual({});
    expect(alone).toEqual({});
    expect(mpiDefaults(3)).toEqual({});
  });
});
