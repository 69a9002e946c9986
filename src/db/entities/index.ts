import { SigningKey } from './signing-key.js';
import { User } from './user.js';

/** Every entity, in one list for the ORM config. */
export const entities = [User, SigningKey];
export { SigningKey, User };
