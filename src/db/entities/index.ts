import { User } from './user.js';

/** Every entity, in one list for the ORM config. */
export const entities = [User];
export { User };
