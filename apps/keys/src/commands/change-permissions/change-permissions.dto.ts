import { IsPermissionList } from '../../http/permissions.dto';

export class ChangePermissionsDto {
  @IsPermissionList()
  permissions!: string[];
}
