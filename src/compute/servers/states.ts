/**
 * Nova's instance state machine as the API sees it: vm_state (where the instance rests),
 * task_state (what is being done to it), the status the API derives from the two, and the
 * state checks actions make before they start (a 409 conflictingRequest otherwise).
 */
import { ApiError } from '../../api/errors.js';

export const VmState = {
  ACTIVE: 'active',
  BUILDING: 'building',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  RESCUED: 'rescued',
  RESIZED: 'resized',
  SOFT_DELETED: 'soft-delete',
  DELETED: 'deleted',
  ERROR: 'error',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
} as const;
export type VmStateValue = (typeof VmState)[keyof typeof VmState];

export const TaskState = {
  SCHEDULING: 'scheduling',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  REBOOTING: 'rebooting',
  REBOOTING_HARD: 'rebooting_hard',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  REBUILDING: 'rebuilding',
  REBUILD_SPAWNING: 'rebuild_spawning',
  UPDATING_PASSWORD: 'updating_password',
  IMAGE_SNAPSHOT: 'image_snapshot',
  IMAGE_BACKUP: 'image_backup',
  SHELVING: 'shelving',
  SHELVING_OFFLOADING: 'shelving_offloading',
  UNSHELVING: 'unshelving',
  RESCUING: 'rescuing',
  MIGRATING: 'migrating',
  UNRESCUING: 'unrescuing',
  DELETING: 'deleting',
} as const;
export type TaskStateValue = (typeof TaskState)[keyof typeof TaskState];

/** The API status for a vm_state/task_state pair (Nova's status_from_state). */
export function statusOf(vmState: string, taskState: string | null, deleted = false): string {
  if (deleted) return 'DELETED';
  switch (vmState) {
    case VmState.ACTIVE:
      switch (taskState) {
        case TaskState.REBOOTING: return 'REBOOT';
        case TaskState.REBOOTING_HARD: return 'HARD_REBOOT';
        case TaskState.REBUILDING:
        case TaskState.REBUILD_SPAWNING: return 'REBUILD';
        case TaskState.UPDATING_PASSWORD: return 'PASSWORD';
        case TaskState.MIGRATING: return 'MIGRATING';
        default: return 'ACTIVE';
      }
    case VmState.STOPPED:
      return taskState === TaskState.REBUILDING || taskState === TaskState.REBUILD_SPAWNING ? 'REBUILD'
        : taskState === TaskState.REBOOTING_HARD ? 'HARD_REBOOT' : 'SHUTOFF';
    case VmState.BUILDING: return 'BUILD';
    case VmState.PAUSED: return taskState === TaskState.REBOOTING_HARD ? 'HARD_REBOOT' : taskState === TaskState.MIGRATING ? 'MIGRATING' : 'PAUSED';
    case VmState.SUSPENDED: return taskState === TaskState.REBOOTING_HARD ? 'HARD_REBOOT' : 'SUSPENDED';
    case VmState.RESCUED: return 'RESCUE';
    case VmState.RESIZED: return 'VERIFY_RESIZE';
    case VmState.SOFT_DELETED: return 'SOFT_DELETED';
    case VmState.DELETED: return 'DELETED';
    case VmState.ERROR:
      return taskState === TaskState.REBUILDING || taskState === TaskState.REBUILD_SPAWNING ? 'REBUILD'
        : taskState === TaskState.REBOOTING_HARD ? 'HARD_REBOOT' : 'ERROR';
    case VmState.SHELVED: return 'SHELVED';
    case VmState.SHELVED_OFFLOADED: return 'SHELVED_OFFLOADED';
    default: return 'UNKNOWN';
  }
}

/** The vm_states (and task_states) each status filter of GET /servers?status= selects. */
export function statesForStatus(status: string): { vmStates: string[]; taskStates?: (string | null)[] } | null {
  switch (status.toUpperCase()) {
    // Like Nova, a status whose vm_state maps to it by default selects that vm_state whatever its task.
    case 'ACTIVE': return { vmStates: [VmState.ACTIVE] };
    case 'BUILD': return { vmStates: [VmState.BUILDING] };
    case 'REBOOT': return { vmStates: [VmState.ACTIVE], taskStates: [TaskState.REBOOTING] };
    case 'HARD_REBOOT': return { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR], taskStates: [TaskState.REBOOTING_HARD] };
    case 'REBUILD': return { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR], taskStates: [TaskState.REBUILDING, TaskState.REBUILD_SPAWNING] };
    case 'PASSWORD': return { vmStates: [VmState.ACTIVE], taskStates: [TaskState.UPDATING_PASSWORD] };
    case 'MIGRATING': return { vmStates: [VmState.ACTIVE, VmState.PAUSED], taskStates: [TaskState.MIGRATING] };
    case 'SHUTOFF': return { vmStates: [VmState.STOPPED] };
    case 'PAUSED': return { vmStates: [VmState.PAUSED] };
    case 'SUSPENDED': return { vmStates: [VmState.SUSPENDED] };
    case 'RESCUE': return { vmStates: [VmState.RESCUED] };
    case 'VERIFY_RESIZE': return { vmStates: [VmState.RESIZED] };
    case 'SOFT_DELETED': return { vmStates: [VmState.SOFT_DELETED] };
    case 'DELETED': return { vmStates: [VmState.DELETED] };
    case 'ERROR': return { vmStates: [VmState.ERROR] };
    case 'SHELVED': return { vmStates: [VmState.SHELVED] };
    case 'SHELVED_OFFLOADED': return { vmStates: [VmState.SHELVED_OFFLOADED] };
    default: return null;
  }
}

export interface StateCheck {
  /** vm_states the action accepts. */
  readonly vmStates: readonly string[];
  /** task_states the action accepts (null: no task running); undefined: any. */
  readonly taskStates?: readonly (string | null)[];
}

const NO_TASK = [null] as const;

/** Nova's check_instance_state for each action. */
export const ACTION_STATES = {
  rebootSoft: { vmStates: [VmState.ACTIVE], taskStates: [null, TaskState.REBOOTING] },
  rebootHard: {
    vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR],
    taskStates: [null, TaskState.REBOOTING, TaskState.REBOOTING_HARD, TaskState.RESUMING, TaskState.UNPAUSING, TaskState.PAUSING, TaskState.SUSPENDING],
  },
  stop: { vmStates: [VmState.ACTIVE, VmState.ERROR], taskStates: NO_TASK },
  start: { vmStates: [VmState.STOPPED], taskStates: NO_TASK },
  pause: { vmStates: [VmState.ACTIVE], taskStates: NO_TASK },
  unpause: { vmStates: [VmState.PAUSED], taskStates: NO_TASK },
  suspend: { vmStates: [VmState.ACTIVE], taskStates: NO_TASK },
  resume: { vmStates: [VmState.SUSPENDED], taskStates: NO_TASK },
  rebuild: { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR], taskStates: NO_TASK },
  createImage: { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED], taskStates: NO_TASK },
  changePassword: { vmStates: [VmState.ACTIVE], taskStates: NO_TASK },
  attachInterface: { vmStates: [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED], taskStates: NO_TASK },
  detachInterface: { vmStates: [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED], taskStates: NO_TASK },
  consoleOutput: { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.RESCUED, VmState.ERROR] },
  shelve: { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED], taskStates: NO_TASK },
  shelveOffload: { vmStates: [VmState.SHELVED], taskStates: NO_TASK },
  unshelve: { vmStates: [VmState.SHELVED, VmState.SHELVED_OFFLOADED], taskStates: NO_TASK },
  rescue: { vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR], taskStates: NO_TASK },
  unrescue: { vmStates: [VmState.RESCUED], taskStates: NO_TASK },
  softDeleted: { vmStates: [VmState.SOFT_DELETED] },
} satisfies Record<string, StateCheck>;

/** The 409 Nova answers when an action meets an instance in the wrong state. */
export function invalidState(action: string, uuid: string, attr: 'vm_state' | 'task_state', state: string | null): ApiError {
  return new ApiError('conflict', `Cannot '${action}' instance ${uuid} while it is in ${attr} ${state ?? 'None'}`);
}

export function checkState(instance: { uuid: string; vm_state: string; task_state: string | null }, check: StateCheck, action: string): void {
  if (!check.vmStates.includes(instance.vm_state)) throw invalidState(action, instance.uuid, 'vm_state', instance.vm_state);
  if (check.taskStates && !check.taskStates.includes(instance.task_state)) throw invalidState(action, instance.uuid, 'task_state', instance.task_state);
}
