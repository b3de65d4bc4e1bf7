import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';

export class ChangeAllowedIpsDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedIps!: string[];
}
