import { Inject, Injectable } from '@nestjs/common';
import type { ExecuteOptions } from '@keyward/event-store';
import { NEW_STREAM } from '@keyward/event-store';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { newId } from '@keyward/service-runtime';
import type { TechnicianCommand } from '../domain';
import { normaliseEmail, TechnicianRuleViolation } from '../domain';
import type { TechnicianAggregates, TechnicianViews } from './technician.aggregate';
import { TECHNICIAN_AGGREGATES, TECHNICIAN_VIEWS } from './technician.aggregate';
import type { TechnicianView } from './technician.view';
import { toTechnicianView } from './technician.view';

/**
 * The command side: builds each command from the request's values and the caller, looks up what
 * `decide` needs from the read model, runs the command against
 * the aggregate (load, decide, append at the loaded version, update the read model) and answers
 * the technician as it now is. Rule violations and concurrent appends reach the HTTP layer as
 * they are (409/422/404 problem+json).
 */
@Injectable()
export class TechnicianCommands {
  constructor(
    @Inject(TECHNICIAN_AGGREGATES) private readonly aggregates: TechnicianAggregates,
    @Inject(TECHNICIAN_VIEWS) private readonly views: TechnicianViews,
  ) {}

  async register(caller: AuthorizedKey, body: { readonly name: string; readonly email: string }): Promise<TechnicianView> {
    const emailHolder = await this.activeHolderOf(caller.accountId, body.email);
    return this.run(newId('tech'), caller.accountId, { type: 'RegisterTechnician', data: { name: body.name, email: body.email, by: caller.keyId, emailHolder } }, NEW_STREAM);
  }

  async update(caller: AuthorizedKey, id: string, body: { readonly name?: string; readonly email?: string }): Promise<TechnicianView> {
    const emailHolder = body.email !== undefined ? await this.activeHolderOf(caller.accountId, body.email, id) : null;
    return this.run(id, caller.accountId, {
      type: 'UpdateTechnician',
      data: { ...definedFields({ name: body.name, email: body.email }), by: caller.keyId, emailHolder },
    });
  }

  deactivate(caller: AuthorizedKey, id: string, reason: string | undefined): Promise<TechnicianView> {
    return this.run(id, caller.accountId, { type: 'DeactivateTechnician', data: { by: caller.keyId, ...definedFields({ reason }) } });
  }

  private async run(id: string, accountId: string, command: TechnicianCommand, options: ExecuteOptions = {}): Promise<TechnicianView> {
    const { state } = await this.aggregates.execute(id, accountId, command, options);
    const view = toTechnicianView(id, state);
    if (!view) throw new TechnicianRuleViolation('technician_not_found', `technician ${id} does not exist`);
    return view;
  }

  /**
   * Another active technician of the account holding this email, per the read model. This is a
   * check, not a guarantee: two requests racing with the same email can both pass it (the read
   * model is written after each append), and nothing across streams stops both appends. Closing
   * the race needs an email reservation (a stream or a unique index per account and email).
   */
  private async activeHolderOf(accountId: string, email: string, except?: string): Promise<string | null> {
    // An invalid email is refused by `decide` with its own code; it cannot be held by anyone.
    let normalised: string;
    try {
      normalised = normaliseEmail(email);
    } catch {
      return null;
    }
    const [holder] = await this.views.find({
      accountId, email: normalised, status: 'active', ...(except !== undefined ? { _id: { $ne: except } } : {}),
    }, { createdAt: 1 }, 1);
    return holder?.id ?? null;
  }
}
