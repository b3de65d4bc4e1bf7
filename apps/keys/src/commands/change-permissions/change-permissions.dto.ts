import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { ALL_PERMISSIONS } from '@keyward/contracts';

export class ChangePermissionsDto {
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  // Documented as the catalog; checked by the domain (422 unknown_permission).
  @JSONSchema({ items: { enum: [...ALL_PERMISSIONS] } })
  permissions!: string[];
}
