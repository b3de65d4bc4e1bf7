import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import type { SessionOutcome } from '@keyward/contracts';
import { SESSION_OUTCOMES } from '@keyward/contracts';
import { NOTES_MAX_LENGTH } from '../../domain';

export class EndSessionDto {
  @IsIn(SESSION_OUTCOMES)
  outcome!: SessionOutcome;

  @IsOptional()
  @IsString()
  @MaxLength(NOTES_MAX_LENGTH)
  @IsSafeText({ multiline: true })
  notes?: string;
}
