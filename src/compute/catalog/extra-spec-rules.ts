/**
 * Validation of known flavor extra specs (microversion 2.86): a key in a namespace Nova knows
 * (hw, hw_rng, hw_video, os, quota, capabilities, resources*, trait*, accel, pci_passthrough,
 * vmware, aggregate_instance_extra_specs) must be one Nova knows, with a value of the right
 * shape; keys without a namespace or in other namespaces are free. The table lists the keys
 * and value rules of Nova's extra specs reference.
 */
import { badRequest } from '../../api/errors.js';
import { boolFromString } from './validate.js';

type Rule =
  | { kind: 'str' }
  | { kind: 'bool' }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'pattern'; pattern: string };

const STRING_KEYS = ['accel:device_profile', 'capabilities:id', 'capabilities:uuid', 'capabilities:service_id', 'capabilities:host', 'capabilities:vcpus', 'capabilities:memory_mb', 'capabilities:local_gb', 'capabilities:vcpus_used', 'capabilities:memory_mb_used', 'capabilities:local_gb_used', 'capabilities:hypervisor_type', 'capabilities:hypervisor_version', 'capabilities:hypervisor_hostname', 'capabilities:free_ram_mb', 'capabilities:free_disk_gb', 'capabilities:current_workload', 'capabilities:running_vms', 'capabilities:disk_available_least', 'capabilities:host_ip', 'capabilities:mapped', 'capabilities:cpu_allocation_ratio', 'capabilities:ram_allocation_ratio', 'capabilities:disk_allocation_ratio', 'capabilities:total_usable_ram_mb', 'capabilities:total_usable_disk_gb', 'capabilities:disk_mb_used', 'capabilities:free_disk_mb', 'capabilities:vcpus_total', 'capabilities:vcpus_used', 'capabilities:num_instances', 'capabilities:num_io_ops', 'capabilities:failed_builds', 'capabilities:aggregates', 'capabilities:cell_uuid', 'capabilities:updated', 'vmware:hw_version', 'vmware:storage_policy'];
const BOOLEAN_KEYS = ['hw:cpu_realtime', 'hw:hide_hypervisor_id', 'hw:locked_memory', 'hw:boot_menu', 'hw:vif_multiqueue_enabled', 'hw:mem_encryption', 'hw:pmu', 'hw:virtio_packed_ring', 'hw:ephemeral_encryption', 'hw_rng:allowed', 'hide_hypervisor_id'];
const INTEGER_KEYS: Record<string, [number | null, number | null]> = {
  'hw:numa_nodes': [1, null],
  'hw:cpu_sockets': [1, null],
  'hw:cpu_cores': [1, null],
  'hw:cpu_threads': [1, null],
  'hw:cpu_max_sockets': [1, null],
  'hw:cpu_max_cores': [1, null],
  'hw:cpu_max_threads': [1, null],
  'hw:serial_port_count': [0, null],
  'hw:redirected_usb_ports': [0, 15],
  'hw_rng:rate_bytes': [0, null],
  'hw_rng:rate_period': [0, null],
  'hw_video:ram_max_mb': [0, null],
  'quota:cpu_limit': [0, null],
  'quota:cpu_reservation': [null, null],
  'quota:cpu_shares_share': [0, null],
  'quota:memory_limit': [0, null],
  'quota:memory_reservation': [null, null],
  'quota:memory_shares_share': [0, null],
  'quota:disk_io_limit': [0, null],
  'quota:disk_io_reservation': [null, null],
  'quota:disk_io_shares_share': [0, null],
  'quota:vif_limit': [0, null],
  'quota:vif_reservation': [null, null],
  'quota:vif_shares_share': [0, null],
  'quota:cpu_shares': [0, null],
  'quota:cpu_period': [0, null],
  'quota:cpu_quota': [null, null],
  'quota:disk_read_bytes_sec': [0, null],
  'quota:disk_read_iops_sec': [0, null],
  'quota:disk_write_bytes_sec': [0, null],
  'quota:disk_write_iops_sec': [0, null],
  'quota:disk_total_bytes_sec': [0, null],
  'quota:disk_total_iops_sec': [0, null],
  'quota:vif_inbound_average': [0, null],
  'quota:vif_inbound_peak': [0, null],
  'quota:vif_inbound_burst': [0, null],
  'quota:vif_outbound_average': [0, null],
  'quota:vif_outbound_peak': [0, null],
  'quota:vif_outbound_burst': [0, null],
};
const ENUM_KEYS: Record<string, readonly string[]> = {
  'hw:cpu_policy': ['dedicated', 'shared', 'mixed'],
  'hw:cpu_thread_policy': ['prefer', 'isolate', 'require'],
  'hw:emulator_threads_policy': ['isolate', 'share'],
  'hw:pci_numa_affinity_policy': ['required', 'preferred', 'legacy', 'socket'],
  'hw:mem_encryption_model': ['amd-sev', 'amd-sev-es', 'amd-sev-snp'],
  'hw:tpm_model': ['tpm-tis', 'tpm-crb'],
  'hw:tpm_version': ['1.2', '2.0'],
  'hw:tpm_secret_security': ['user', 'host', 'deployment'],
  'hw:watchdog_action': ['none', 'pause', 'poweroff', 'reset', 'disabled'],
  'hw:viommu_model': ['intel', 'smmuv3', 'virtio', 'auto'],
  'hw:sound_model': ['sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'virtio'],
  'hw:usb_model': ['none', 'nec-xhci', 'qemu-xhci'],
  'hw:ephemeral_encryption_format': ['plain', 'luks', 'luksv2'],
  'group_policy': ['isolate', 'none'],
  'os:secure_boot': ['disabled', 'required'],
  'quota:cpu_shares_level': ['custom', 'high', 'normal', 'low'],
  'quota:memory_shares_level': ['custom', 'high', 'normal', 'low'],
  'quota:disk_io_shares_level': ['custom', 'high', 'normal', 'low'],
  'quota:vif_shares_level': ['custom', 'high', 'normal', 'low'],
};
const PATTERN_KEYS: Record<string, string> = {
  'hw:cpu_realtime_mask': "(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*",
  'hw:cpu_dedicated_mask': "\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*",
  'hw:mem_page_size': "(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)",
  'hw:pmem': "([a-zA-Z0-9_]+(,)?)+",
  'pci_passthrough:alias': "[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*",
};
const PARAMETERISED: readonly [RegExp, Rule][] = [
  [/^aggregate_instance_extra_specs:(?:.+)$/, { kind: 'str' }],
  [/^capabilities:cpu_info(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:metrics(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:stats(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:numa_topology(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:supported_hv_specs(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:pci_device_pools(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:nodename(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:pci_stats(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:supported_instances(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:limits(?:(:\w+)*)$/, { kind: 'str' }],
  [/^capabilities:instances(?:(:\w+)*)$/, { kind: 'str' }],
  [/^hw:numa_cpus\.(?:\d+)$/, { kind: 'pattern', pattern: "\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*" }],
  [/^hw:numa_mem\.(?:\d+)$/, { kind: 'int', min: 1 }],
];
/** Standard and custom resource classes and traits, in any request group. */
const GROUPED: readonly [RegExp, Rule][] = [
  [/^resources(?:[a-zA-Z0-9_-]{1,64})?:[A-Z0-9_]+$/, { kind: 'int' }],
  [/^trait(?:[a-zA-Z0-9_-]{1,64})?:[A-Z0-9_]+$/, { kind: 'enum', values: ['required', 'forbidden'] }],
];

const NAMESPACES: readonly RegExp[] = [
  /^(accel|aggregate_instance_extra_specs|capabilities|hw|hw_rng|hw_video|os|pci_passthrough|quota|vmware)$/,
  /^resources(?:[a-zA-Z0-9_-]{1,64})?$/,
  /^trait(?:[a-zA-Z0-9_-]{1,64})?$/,
];

function ruleOf(name: string): Rule | undefined {
  if (STRING_KEYS.includes(name)) return { kind: 'str' };
  if (BOOLEAN_KEYS.includes(name)) return { kind: 'bool' };
  const int = INTEGER_KEYS[name];
  if (int) return { kind: 'int', ...(int[0] === null ? {} : { min: int[0] }), ...(int[1] === null ? {} : { max: int[1] }) };
  const values = ENUM_KEYS[name];
  if (values) return { kind: 'enum', values };
  const pattern = PATTERN_KEYS[name];
  if (pattern) return { kind: 'pattern', pattern };
  for (const [regex, rule] of [...PARAMETERISED, ...GROUPED]) if (regex.test(name)) return rule;
  return undefined;
}

const failed = (why: string) => badRequest(`Validation failed; ${why}`);

function checkValue(rule: Rule, value: string): void {
  switch (rule.kind) {
    case 'str':
      return;
    case 'bool':
      if (boolFromString(value) === undefined) throw failed(`'${value}' is not a valid boolean-like value.`);
      return;
    case 'int': {
      if (!/^\s*[-+]?\d+\s*$/.test(value)) throw failed(`'${value}' is not a valid integer value.`);
      const n = Number(value);
      if (rule.max !== undefined && n > rule.max) throw failed(`'${n}' is greater than the max value of '${rule.max}'.`);
      if (rule.min !== undefined && n < rule.min) throw failed(`'${n}' is less than the min value of '${rule.min}'.`);
      return;
    }
    case 'enum':
      if (!rule.values.includes(value)) throw failed(`'${value}' is not one of: ${rule.values.join(', ')}.`);
      return;
    case 'pattern':
      if (!new RegExp(`^(?:${rule.pattern})$`).test(value)) throw failed(`'${value}' is not of the format '${rule.pattern}'.`);
  }
}

/** Throws a 400 when a known extra spec has a bad value or a known namespace an unknown key. */
export function validateExtraSpec(name: string, value: string): void {
  const rule = ruleOf(name);
  if (rule) return checkValue(rule, value);
  const colon = name.indexOf(':');
  if (colon < 0) return;
  const namespace = name.slice(0, colon);
  if (NAMESPACES.some((ns) => ns.test(namespace))) throw failed(`extra spec '${name}' does not appear to be a valid extra spec.`);
}
