import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, Page, PageQuery, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const AddressRef = Type.Ref('Address');
const AllowedSenderRef = Type.Ref('AllowedSender');
const SenderParams = Type.Object({ user: UserParam, address: Type.String({ minLength: 1, maxLength: 320, description: 'An address, or `*@domain`' }) });

export function addressRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['addresses'];

  app.get(
    '/users/:user/addresses',
    {
      ...needs('account-view'),
      schema: {
        tags,
        summary: 'List a user\'s addresses',
        params: Type.Object({ user: UserParam }),
        response: { 200: Type.Object({ total: Type.Integer(), results: Type.Array(AddressRef), next: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (req) => {
      const principal = await auth.account(req, req.params.user);
      const results = await services.directory.listAddresses(principal.id);
      return { total: results.length, results, next: null };
    },
  );

  app.post(
    '/users/:user/addresses',
    {
      ...needs('individual-update'),
      schema: {
        tags,
        summary: 'Add an address (or `*@domain` wildcard) to a user',
        params: Type.Object({ user: UserParam }),
        body: Type.Object({ address: Type.String({ minLength: 3, maxLength: 320 }), main: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 201: AddressRef, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.directory.addAddress(req.params.user, req.body)),
  );

  app.delete(
    '/users/:user/addresses/:address',
    {
      ...needs('individual-update'),
      schema: {
        tags,
        summary: 'Remove an address from a user',
        params: Type.Object({ user: UserParam, address: Type.String({ minLength: 1, maxLength: 320 }) }),
        response: { 204: Type.Null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await services.directory.removeAddress(req.params.user, req.params.address);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:user/senders',
    {
      ...needs('account-view'),
      schema: {
        tags,
        summary: 'List the addresses a user is allowed to send as without owning them',
        params: Type.Object({ user: UserParam }),
        response: { 200: Type.Object({ total: Type.Integer(), results: Type.Array(AllowedSenderRef), next: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (req) => {
      const principal = await auth.account(req, req.params.user);
      const results = await services.directory.listAllowedSenders(principal.id);
      return { total: results.length, results, next: null };
    },
  );

  app.put(
    '/users/:user/senders/:address',
    {
      ...needs('sender-manage'),
      schema: {
        tags,
        summary: 'Allow a user to send as an address (or every address of a domain, `*@domain`) they do not own',
        description: 'SMTP submission, JMAP identities and JMAP EmailSubmission accept it in the envelope and in `From:`. 201 when newly allowed, 204 when it already was.',
        params: SenderParams,
        response: { 201: AllowedSenderRef, 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { sender, created } = await services.directory.allowSender(req.params.user, req.params.address);
      return created ? reply.code(201).send(sender) : reply.code(204).send(null);
    },
  );

  app.delete(
    '/users/:user/senders/:address',
    {
      ...needs('sender-manage'),
      schema: {
        tags,
        summary: 'Stop allowing a user to send as an address',
        params: SenderParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await services.directory.disallowSender(req.params.user, req.params.address);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/addresses',
    {
      ...needs('address-list'),
      schema: {
        tags,
        summary: 'Find which user owns an address',
        querystring: Type.Object({ ...PageQuery, query: Type.Optional(Type.String({ maxLength: 320 })) }, { additionalProperties: false }),
        response: { 200: Page(AddressRef, 'A page of addresses'), ...errors(400, 401, 403) },
      },
    },
    async (req) => services.directory.findAddresses(req.query),
  );
}
