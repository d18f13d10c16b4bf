/** Authentication configuration of spec §4.1. */
import { z } from 'zod';
import { URLSchema } from './ids.ts';

export const AuthenticationSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('bearer').describe('Bearer token in Authorization header'),
    token: z.string().describe('The bearer token value'),
    tokenFrom: z.enum(['env', 'user_input', 'oauth_flow']).describe('Source of the token')
  }),
  z.object({
    type: z.literal('api_key').describe('API key authentication'),
    header: z.string().describe('Header name for the API key'),
    value: z.string().describe('The API key value'),
    valueFrom: z.enum(['env', 'user_input']).describe('Source of the API key')
  }),
  z.object({
    type: z.literal('oauth2').describe('OAuth 2.0 authentication flow'),
    clientId: z.string().describe('OAuth client ID'),
    clientSecret: z.string().describe('OAuth client secret'),
    tokenUrl: URLSchema.describe('Token endpoint URL'),
    scope: z.array(z.string()).describe('Required OAuth scopes'),
    refreshToken: z.string().optional().describe('Refresh token if available')
  }),
  z.object({
    type: z.literal('custom').describe('Custom authentication logic'),
    handler: z.string().describe('Name of custom auth handler function')
  })
]).describe('Authentication configuration for API calls');

export type Authentication = z.infer<typeof AuthenticationSchema>;
