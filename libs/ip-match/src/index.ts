export type { IpAllowList } from './allow-list';
export { compileAllowList, NO_ADDRESSES } from './allow-list';
export type { IpRule } from './ip-rule';
export { parseIpRule } from './ip-rule';
