import { IsInt, IsOptional, Min } from 'class-validator';

export class RepublishDto {
  /** Republish the events after this store position (0: from the first event). */
  @IsOptional()
  @IsInt()
  @Min(0)
  fromPosition?: number;
}
