// The device mirror is shared (tickets checks device references too): one definition, in libs/projections.
export type { DeviceMirrorView } from '@keyward/projections';
export { evolveDeviceMirror } from '@keyward/projections';
