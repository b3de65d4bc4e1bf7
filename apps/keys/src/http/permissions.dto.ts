import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { ALL_PERMISSIONS } from '@keyward/contracts';
import type { FieldDecorator } from '@keyward/service-runtime';
import { stacked } from '@keyward/service-runtime';

/**
 * A key's permissions in a body (create, change-permissions): shapes only, documented as the
 * catalog; the domain checks them (422 unknown_permission).
 */
export const IsPermissionList = (): FieldDecorator => stacked(
  IsArray(),
  ArrayMaxSize(100),
  IsString({ each: true }),
  MaxLength(100, { each: true }),
  JSONSchema({ items: { enum: [...ALL_PERMISSIONS] } }),
);
