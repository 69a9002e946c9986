/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ConsoleMe {\n    me {\n      sub\n      scopes\n      user {\n        id\n        username\n      }\n    }\n  }\n": typeof types.ConsoleMeDocument,
    "\n  query AccountPage {\n    me {\n      sub\n      user {\n        ...AccountUser\n      }\n      sessions {\n        ...AccountSession\n      }\n      connectedApps {\n        ...AccountApp\n      }\n      factors {\n        ...AccountFactor\n      }\n    }\n  }\n": typeof types.AccountPageDocument,
    "\n  fragment AccountApp on ConnectedApp {\n    clientId\n    clientName\n    clientUri\n    scopes\n    firstGrantedAt\n    lastUsedAt\n    activeGrants\n  }\n": typeof types.AccountAppFragmentDoc,
    "\n  mutation AccountRevokeApp($clientId: ID!) {\n    revokeMyGrant(clientId: $clientId)\n  }\n": typeof types.AccountRevokeAppDocument,
    "\n  mutation AccountChangeEmail($currentPassword: String!, $email: String!) {\n    changeMyEmail(currentPassword: $currentPassword, email: $email)\n  }\n": typeof types.AccountChangeEmailDocument,
    "\n  mutation AccountStartPasskey($currentPassword: String!) {\n    startPasskeyRegistration(currentPassword: $currentPassword) {\n      id\n      options\n    }\n  }\n": typeof types.AccountStartPasskeyDocument,
    "\n  mutation AccountFinishPasskey($id: ID!, $response: String!, $name: String!) {\n    finishPasskeyRegistration(id: $id, response: $response, name: $name) {\n      factor {\n        id\n        name\n      }\n      recoveryCodes\n    }\n  }\n": typeof types.AccountFinishPasskeyDocument,
    "\n  mutation AccountChangePassword($currentPassword: String!, $newPassword: String!, $endOtherSessions: Boolean!) {\n    changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword, endOtherSessions: $endOtherSessions)\n  }\n": typeof types.AccountChangePasswordDocument,
    "\n  fragment AccountUser on PublicUser {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n  }\n": typeof types.AccountUserFragmentDoc,
    "\n  mutation AccountUpdateMe($input: UpdateMeInput!) {\n    updateMe(input: $input) {\n      ...AccountUser\n    }\n  }\n": typeof types.AccountUpdateMeDocument,
    "\n  fragment AccountSession on MySession {\n    id\n    createdAt\n    authTime\n    expiresAt\n    current\n    userAgent\n    ip\n  }\n": typeof types.AccountSessionFragmentDoc,
    "\n  mutation AccountEndSession($id: ID!) {\n    endMySession(id: $id)\n  }\n": typeof types.AccountEndSessionDocument,
    "\n  fragment AccountFactor on Factor {\n    id\n    kind\n    name\n    createdAt\n    lastUsedAt\n  }\n": typeof types.AccountFactorFragmentDoc,
    "\n  mutation AccountStartTotp($currentPassword: String!) {\n    startTotpEnrolment(currentPassword: $currentPassword) {\n      id\n      secret\n      otpauthUri\n      qrSvg\n    }\n  }\n": typeof types.AccountStartTotpDocument,
    "\n  mutation AccountConfirmTotp($id: ID!, $code: String!, $name: String!) {\n    confirmTotpEnrolment(id: $id, code: $code, name: $name)\n  }\n": typeof types.AccountConfirmTotpDocument,
    "\n  mutation AccountRegenerateRecoveryCodes($currentPassword: String!) {\n    regenerateRecoveryCodes(currentPassword: $currentPassword)\n  }\n": typeof types.AccountRegenerateRecoveryCodesDocument,
    "\n  mutation AccountRemoveFactor($id: ID!, $currentPassword: String!) {\n    removeMyFactor(id: $id, currentPassword: $currentPassword)\n  }\n": typeof types.AccountRemoveFactorDocument,
    "\n  query ConsoleAuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {\n    auditEvents(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditEventRow\n          details\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ConsoleAuditEventsDocument,
    "\n  subscription ConsoleAuditLive($types: [String!]) {\n    auditEvents(types: $types) {\n      ...AuditEventRow\n      details\n    }\n  }\n": typeof types.ConsoleAuditLiveDocument,
    "\n  fragment ConsoleClientsRow on Client {\n    id\n    name\n    public\n    firstParty\n    admin\n    redirectUris\n  }\n": typeof types.ConsoleClientsRowFragmentDoc,
    "\n  fragment ConsoleClientsDetail on Client {\n    id\n    name\n    public\n    tokenEndpointAuthMethod\n    jwks\n    jwksUri\n    redirectUris\n    postLogoutRedirectUris\n    allowedOrigins\n    grantTypes\n    responseTypes\n    firstParty\n    admin\n    requireMfa\n    requirePar\n    requireDpop\n    logoutAll\n    backchannelLogoutUri\n    clientUri\n    logoUri\n    idTokenSignedResponseAlg\n    extraIdTokenClaims {\n      claim\n      field\n      scope\n    }\n    userRestrictions {\n      field\n      equals\n    }\n    audiences\n    createdAt\n    updatedAt\n  }\n": typeof types.ConsoleClientsDetailFragmentDoc,
    "\n  query ConsoleClientsList($search: String, $after: String) {\n    clients(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleClientsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ConsoleClientsListDocument,
    "\n  query ConsoleClientsClient($id: ID!) {\n    client(id: $id) {\n      ...ConsoleClientsDetail\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": typeof types.ConsoleClientsClientDocument,
    "\n  query ConsoleClientsDefaults {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": typeof types.ConsoleClientsDefaultsDocument,
    "\n  mutation ConsoleClientsCreate($input: CreateClientInput!) {\n    createClient(input: $input) {\n      client {\n        ...ConsoleClientsDetail\n      }\n      clientSecret\n    }\n  }\n": typeof types.ConsoleClientsCreateDocument,
    "\n  mutation ConsoleClientsUpdate($id: ID!, $input: ClientMetadataInput!) {\n    updateClient(id: $id, input: $input) {\n      ...ConsoleClientsDetail\n    }\n  }\n": typeof types.ConsoleClientsUpdateDocument,
    "\n  mutation ConsoleClientsRotateSecret($id: ID!) {\n    rotateClientSecret(id: $id) {\n      client {\n        id\n        updatedAt\n      }\n      clientSecret\n    }\n  }\n": typeof types.ConsoleClientsRotateSecretDocument,
    "\n  mutation ConsoleClientsDelete($id: ID!) {\n    deleteClient(id: $id)\n  }\n": typeof types.ConsoleClientsDeleteDocument,
    "\n  fragment ConsoleKeysFamily on KeyFamilyStatus {\n    family\n    alg\n    activeKid\n    nextRotationAt\n    keys {\n      kid\n      alg\n      state\n      createdAt\n      activatesAt\n      retiresAt\n      deletesAt\n    }\n  }\n": typeof types.ConsoleKeysFamilyFragmentDoc,
    "\n  query ConsoleKeysStatus {\n    keyRotationStatus {\n      ...ConsoleKeysFamily\n    }\n  }\n": typeof types.ConsoleKeysStatusDocument,
    "\n  mutation ConsoleKeysRotate($now: Boolean!) {\n    rotateKeys(now: $now) {\n      ...ConsoleKeysFamily\n    }\n  }\n": typeof types.ConsoleKeysRotateDocument,
    "\n  query ConsoleOverview {\n    overview {\n      users\n      administrators\n      clients\n      activeSessions\n      activeGrants\n    }\n    keyRotationStatus {\n      family\n      alg\n      activeKid\n      nextRotationAt\n      keys {\n        kid\n        state\n      }\n    }\n    auditEvents(first: 8) {\n      edges {\n        node {\n          ...AuditEventRow\n        }\n      }\n    }\n  }\n": typeof types.ConsoleOverviewDocument,
    "\n  fragment ConsoleResource on Resource {\n    id\n    scopes\n    accessTokenLifetime\n    alg\n    createdAt\n  }\n": typeof types.ConsoleResourceFragmentDoc,
    "\n  query ConsoleResourcesList($after: String) {\n    resources(first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleResource\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ConsoleResourcesListDocument,
    "\n  query ConsoleResourcesResource($id: ID!) {\n    resource(id: $id) {\n      ...ConsoleResource\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": typeof types.ConsoleResourcesResourceDocument,
    "\n  query ConsoleResourcesAlgs {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": typeof types.ConsoleResourcesAlgsDocument,
    "\n  mutation ConsoleResourcesCreate($input: CreateResourceInput!) {\n    createResource(input: $input) {\n      ...ConsoleResource\n    }\n  }\n": typeof types.ConsoleResourcesCreateDocument,
    "\n  mutation ConsoleResourcesUpdate($id: ID!, $input: ResourceMetadataInput!) {\n    updateResource(id: $id, input: $input) {\n      ...ConsoleResource\n    }\n  }\n": typeof types.ConsoleResourcesUpdateDocument,
    "\n  mutation ConsoleResourcesDelete($id: ID!) {\n    deleteResource(id: $id)\n  }\n": typeof types.ConsoleResourcesDeleteDocument,
    "\n  fragment ConsoleUsersRow on User {\n    id\n    username\n    email\n    givenName\n    familyName\n    admin\n    active\n    createdAt\n  }\n": typeof types.ConsoleUsersRowFragmentDoc,
    "\n  query ConsoleUsersList($search: String, $after: String) {\n    users(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleUsersRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ConsoleUsersListDocument,
    "\n  mutation ConsoleUsersCreate($input: CreateUserInput!) {\n    createUser(input: $input) {\n      id\n      username\n      hasPassword\n    }\n  }\n": typeof types.ConsoleUsersCreateDocument,
    "\n  fragment AuditEventRow on AuditEvent {\n    id\n    time\n    event\n    outcome\n    actor\n    client\n    ip\n    message\n  }\n": typeof types.AuditEventRowFragmentDoc,
    "\n  mutation ConsoleUsersInvite($email: String!, $admin: Boolean!) {\n    inviteUser(email: $email, admin: $admin) {\n      email\n      admin\n      expiresAt\n    }\n  }\n": typeof types.ConsoleUsersInviteDocument,
    "\n  fragment ConsoleUsersSession on Session {\n    id\n    createdAt\n    authTime\n    amr\n    expiresAt\n  }\n": typeof types.ConsoleUsersSessionFragmentDoc,
    "\n  fragment ConsoleUsersGrant on Grant {\n    id\n    clientId\n    scopes\n    createdAt\n    expiresAt\n    refreshCount\n    active\n    revokedAt\n  }\n": typeof types.ConsoleUsersGrantFragmentDoc,
    "\n  mutation ConsoleUsersRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n": typeof types.ConsoleUsersRevokeSessionDocument,
    "\n  mutation ConsoleUsersRevokeGrant($id: ID!) {\n    revokeGrant(id: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n": typeof types.ConsoleUsersRevokeGrantDocument,
    "\n  fragment ConsoleUsersTwoStep on User {\n    factors {\n      id\n      kind\n      name\n      createdAt\n      lastUsedAt\n    }\n    recoveryCodesLeft\n  }\n": typeof types.ConsoleUsersTwoStepFragmentDoc,
    "\n  mutation ConsoleUsersResetFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n": typeof types.ConsoleUsersResetFactorsDocument,
    "\n  mutation ConsoleUsersRemoveFactor($userId: ID!, $factorId: ID!) {\n    removeUserFactor(userId: $userId, factorId: $factorId)\n  }\n": typeof types.ConsoleUsersRemoveFactorDocument,
    "\n  fragment ConsoleUsersDetail on User {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n    admin\n    active\n    hasPassword\n    createdAt\n    updatedAt\n  }\n": typeof types.ConsoleUsersDetailFragmentDoc,
    "\n  query ConsoleUsersUser($id: ID!) {\n    me {\n      sub\n    }\n    user(id: $id) {\n      ...ConsoleUsersDetail\n      ...ConsoleUsersTwoStep\n    }\n    sessions(userId: $id) {\n      ...ConsoleUsersSession\n    }\n    grants(userId: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n": typeof types.ConsoleUsersUserDocument,
    "\n  mutation ConsoleUsersUpdate($id: ID!, $input: UpdateUserInput!) {\n    updateUser(id: $id, input: $input) {\n      ...ConsoleUsersDetail\n    }\n  }\n": typeof types.ConsoleUsersUpdateDocument,
    "\n  mutation ConsoleUsersSetPassword($id: ID!, $password: String) {\n    setUserPassword(id: $id, password: $password) {\n      ...ConsoleUsersDetail\n    }\n  }\n": typeof types.ConsoleUsersSetPasswordDocument,
    "\n  mutation ConsoleUsersDelete($id: ID!) {\n    deleteUser(id: $id)\n  }\n": typeof types.ConsoleUsersDeleteDocument,
};
const documents: Documents = {
    "\n  query ConsoleMe {\n    me {\n      sub\n      scopes\n      user {\n        id\n        username\n      }\n    }\n  }\n": types.ConsoleMeDocument,
    "\n  query AccountPage {\n    me {\n      sub\n      user {\n        ...AccountUser\n      }\n      sessions {\n        ...AccountSession\n      }\n      connectedApps {\n        ...AccountApp\n      }\n      factors {\n        ...AccountFactor\n      }\n    }\n  }\n": types.AccountPageDocument,
    "\n  fragment AccountApp on ConnectedApp {\n    clientId\n    clientName\n    clientUri\n    scopes\n    firstGrantedAt\n    lastUsedAt\n    activeGrants\n  }\n": types.AccountAppFragmentDoc,
    "\n  mutation AccountRevokeApp($clientId: ID!) {\n    revokeMyGrant(clientId: $clientId)\n  }\n": types.AccountRevokeAppDocument,
    "\n  mutation AccountChangeEmail($currentPassword: String!, $email: String!) {\n    changeMyEmail(currentPassword: $currentPassword, email: $email)\n  }\n": types.AccountChangeEmailDocument,
    "\n  mutation AccountStartPasskey($currentPassword: String!) {\n    startPasskeyRegistration(currentPassword: $currentPassword) {\n      id\n      options\n    }\n  }\n": types.AccountStartPasskeyDocument,
    "\n  mutation AccountFinishPasskey($id: ID!, $response: String!, $name: String!) {\n    finishPasskeyRegistration(id: $id, response: $response, name: $name) {\n      factor {\n        id\n        name\n      }\n      recoveryCodes\n    }\n  }\n": types.AccountFinishPasskeyDocument,
    "\n  mutation AccountChangePassword($currentPassword: String!, $newPassword: String!, $endOtherSessions: Boolean!) {\n    changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword, endOtherSessions: $endOtherSessions)\n  }\n": types.AccountChangePasswordDocument,
    "\n  fragment AccountUser on PublicUser {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n  }\n": types.AccountUserFragmentDoc,
    "\n  mutation AccountUpdateMe($input: UpdateMeInput!) {\n    updateMe(input: $input) {\n      ...AccountUser\n    }\n  }\n": types.AccountUpdateMeDocument,
    "\n  fragment AccountSession on MySession {\n    id\n    createdAt\n    authTime\n    expiresAt\n    current\n    userAgent\n    ip\n  }\n": types.AccountSessionFragmentDoc,
    "\n  mutation AccountEndSession($id: ID!) {\n    endMySession(id: $id)\n  }\n": types.AccountEndSessionDocument,
    "\n  fragment AccountFactor on Factor {\n    id\n    kind\n    name\n    createdAt\n    lastUsedAt\n  }\n": types.AccountFactorFragmentDoc,
    "\n  mutation AccountStartTotp($currentPassword: String!) {\n    startTotpEnrolment(currentPassword: $currentPassword) {\n      id\n      secret\n      otpauthUri\n      qrSvg\n    }\n  }\n": types.AccountStartTotpDocument,
    "\n  mutation AccountConfirmTotp($id: ID!, $code: String!, $name: String!) {\n    confirmTotpEnrolment(id: $id, code: $code, name: $name)\n  }\n": types.AccountConfirmTotpDocument,
    "\n  mutation AccountRegenerateRecoveryCodes($currentPassword: String!) {\n    regenerateRecoveryCodes(currentPassword: $currentPassword)\n  }\n": types.AccountRegenerateRecoveryCodesDocument,
    "\n  mutation AccountRemoveFactor($id: ID!, $currentPassword: String!) {\n    removeMyFactor(id: $id, currentPassword: $currentPassword)\n  }\n": types.AccountRemoveFactorDocument,
    "\n  query ConsoleAuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {\n    auditEvents(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditEventRow\n          details\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ConsoleAuditEventsDocument,
    "\n  subscription ConsoleAuditLive($types: [String!]) {\n    auditEvents(types: $types) {\n      ...AuditEventRow\n      details\n    }\n  }\n": types.ConsoleAuditLiveDocument,
    "\n  fragment ConsoleClientsRow on Client {\n    id\n    name\n    public\n    firstParty\n    admin\n    redirectUris\n  }\n": types.ConsoleClientsRowFragmentDoc,
    "\n  fragment ConsoleClientsDetail on Client {\n    id\n    name\n    public\n    tokenEndpointAuthMethod\n    jwks\n    jwksUri\n    redirectUris\n    postLogoutRedirectUris\n    allowedOrigins\n    grantTypes\n    responseTypes\n    firstParty\n    admin\n    requireMfa\n    requirePar\n    requireDpop\n    logoutAll\n    backchannelLogoutUri\n    clientUri\n    logoUri\n    idTokenSignedResponseAlg\n    extraIdTokenClaims {\n      claim\n      field\n      scope\n    }\n    userRestrictions {\n      field\n      equals\n    }\n    audiences\n    createdAt\n    updatedAt\n  }\n": types.ConsoleClientsDetailFragmentDoc,
    "\n  query ConsoleClientsList($search: String, $after: String) {\n    clients(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleClientsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ConsoleClientsListDocument,
    "\n  query ConsoleClientsClient($id: ID!) {\n    client(id: $id) {\n      ...ConsoleClientsDetail\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": types.ConsoleClientsClientDocument,
    "\n  query ConsoleClientsDefaults {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": types.ConsoleClientsDefaultsDocument,
    "\n  mutation ConsoleClientsCreate($input: CreateClientInput!) {\n    createClient(input: $input) {\n      client {\n        ...ConsoleClientsDetail\n      }\n      clientSecret\n    }\n  }\n": types.ConsoleClientsCreateDocument,
    "\n  mutation ConsoleClientsUpdate($id: ID!, $input: ClientMetadataInput!) {\n    updateClient(id: $id, input: $input) {\n      ...ConsoleClientsDetail\n    }\n  }\n": types.ConsoleClientsUpdateDocument,
    "\n  mutation ConsoleClientsRotateSecret($id: ID!) {\n    rotateClientSecret(id: $id) {\n      client {\n        id\n        updatedAt\n      }\n      clientSecret\n    }\n  }\n": types.ConsoleClientsRotateSecretDocument,
    "\n  mutation ConsoleClientsDelete($id: ID!) {\n    deleteClient(id: $id)\n  }\n": types.ConsoleClientsDeleteDocument,
    "\n  fragment ConsoleKeysFamily on KeyFamilyStatus {\n    family\n    alg\n    activeKid\n    nextRotationAt\n    keys {\n      kid\n      alg\n      state\n      createdAt\n      activatesAt\n      retiresAt\n      deletesAt\n    }\n  }\n": types.ConsoleKeysFamilyFragmentDoc,
    "\n  query ConsoleKeysStatus {\n    keyRotationStatus {\n      ...ConsoleKeysFamily\n    }\n  }\n": types.ConsoleKeysStatusDocument,
    "\n  mutation ConsoleKeysRotate($now: Boolean!) {\n    rotateKeys(now: $now) {\n      ...ConsoleKeysFamily\n    }\n  }\n": types.ConsoleKeysRotateDocument,
    "\n  query ConsoleOverview {\n    overview {\n      users\n      administrators\n      clients\n      activeSessions\n      activeGrants\n    }\n    keyRotationStatus {\n      family\n      alg\n      activeKid\n      nextRotationAt\n      keys {\n        kid\n        state\n      }\n    }\n    auditEvents(first: 8) {\n      edges {\n        node {\n          ...AuditEventRow\n        }\n      }\n    }\n  }\n": types.ConsoleOverviewDocument,
    "\n  fragment ConsoleResource on Resource {\n    id\n    scopes\n    accessTokenLifetime\n    alg\n    createdAt\n  }\n": types.ConsoleResourceFragmentDoc,
    "\n  query ConsoleResourcesList($after: String) {\n    resources(first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleResource\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ConsoleResourcesListDocument,
    "\n  query ConsoleResourcesResource($id: ID!) {\n    resource(id: $id) {\n      ...ConsoleResource\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": types.ConsoleResourcesResourceDocument,
    "\n  query ConsoleResourcesAlgs {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n": types.ConsoleResourcesAlgsDocument,
    "\n  mutation ConsoleResourcesCreate($input: CreateResourceInput!) {\n    createResource(input: $input) {\n      ...ConsoleResource\n    }\n  }\n": types.ConsoleResourcesCreateDocument,
    "\n  mutation ConsoleResourcesUpdate($id: ID!, $input: ResourceMetadataInput!) {\n    updateResource(id: $id, input: $input) {\n      ...ConsoleResource\n    }\n  }\n": types.ConsoleResourcesUpdateDocument,
    "\n  mutation ConsoleResourcesDelete($id: ID!) {\n    deleteResource(id: $id)\n  }\n": types.ConsoleResourcesDeleteDocument,
    "\n  fragment ConsoleUsersRow on User {\n    id\n    username\n    email\n    givenName\n    familyName\n    admin\n    active\n    createdAt\n  }\n": types.ConsoleUsersRowFragmentDoc,
    "\n  query ConsoleUsersList($search: String, $after: String) {\n    users(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleUsersRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ConsoleUsersListDocument,
    "\n  mutation ConsoleUsersCreate($input: CreateUserInput!) {\n    createUser(input: $input) {\n      id\n      username\n      hasPassword\n    }\n  }\n": types.ConsoleUsersCreateDocument,
    "\n  fragment AuditEventRow on AuditEvent {\n    id\n    time\n    event\n    outcome\n    actor\n    client\n    ip\n    message\n  }\n": types.AuditEventRowFragmentDoc,
    "\n  mutation ConsoleUsersInvite($email: String!, $admin: Boolean!) {\n    inviteUser(email: $email, admin: $admin) {\n      email\n      admin\n      expiresAt\n    }\n  }\n": types.ConsoleUsersInviteDocument,
    "\n  fragment ConsoleUsersSession on Session {\n    id\n    createdAt\n    authTime\n    amr\n    expiresAt\n  }\n": types.ConsoleUsersSessionFragmentDoc,
    "\n  fragment ConsoleUsersGrant on Grant {\n    id\n    clientId\n    scopes\n    createdAt\n    expiresAt\n    refreshCount\n    active\n    revokedAt\n  }\n": types.ConsoleUsersGrantFragmentDoc,
    "\n  mutation ConsoleUsersRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n": types.ConsoleUsersRevokeSessionDocument,
    "\n  mutation ConsoleUsersRevokeGrant($id: ID!) {\n    revokeGrant(id: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n": types.ConsoleUsersRevokeGrantDocument,
    "\n  fragment ConsoleUsersTwoStep on User {\n    factors {\n      id\n      kind\n      name\n      createdAt\n      lastUsedAt\n    }\n    recoveryCodesLeft\n  }\n": types.ConsoleUsersTwoStepFragmentDoc,
    "\n  mutation ConsoleUsersResetFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n": types.ConsoleUsersResetFactorsDocument,
    "\n  mutation ConsoleUsersRemoveFactor($userId: ID!, $factorId: ID!) {\n    removeUserFactor(userId: $userId, factorId: $factorId)\n  }\n": types.ConsoleUsersRemoveFactorDocument,
    "\n  fragment ConsoleUsersDetail on User {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n    admin\n    active\n    hasPassword\n    createdAt\n    updatedAt\n  }\n": types.ConsoleUsersDetailFragmentDoc,
    "\n  query ConsoleUsersUser($id: ID!) {\n    me {\n      sub\n    }\n    user(id: $id) {\n      ...ConsoleUsersDetail\n      ...ConsoleUsersTwoStep\n    }\n    sessions(userId: $id) {\n      ...ConsoleUsersSession\n    }\n    grants(userId: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n": types.ConsoleUsersUserDocument,
    "\n  mutation ConsoleUsersUpdate($id: ID!, $input: UpdateUserInput!) {\n    updateUser(id: $id, input: $input) {\n      ...ConsoleUsersDetail\n    }\n  }\n": types.ConsoleUsersUpdateDocument,
    "\n  mutation ConsoleUsersSetPassword($id: ID!, $password: String) {\n    setUserPassword(id: $id, password: $password) {\n      ...ConsoleUsersDetail\n    }\n  }\n": types.ConsoleUsersSetPasswordDocument,
    "\n  mutation ConsoleUsersDelete($id: ID!) {\n    deleteUser(id: $id)\n  }\n": types.ConsoleUsersDeleteDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMe {\n    me {\n      sub\n      scopes\n      user {\n        id\n        username\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleMe {\n    me {\n      sub\n      scopes\n      user {\n        id\n        username\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountPage {\n    me {\n      sub\n      user {\n        ...AccountUser\n      }\n      sessions {\n        ...AccountSession\n      }\n      connectedApps {\n        ...AccountApp\n      }\n      factors {\n        ...AccountFactor\n      }\n    }\n  }\n"): (typeof documents)["\n  query AccountPage {\n    me {\n      sub\n      user {\n        ...AccountUser\n      }\n      sessions {\n        ...AccountSession\n      }\n      connectedApps {\n        ...AccountApp\n      }\n      factors {\n        ...AccountFactor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AccountApp on ConnectedApp {\n    clientId\n    clientName\n    clientUri\n    scopes\n    firstGrantedAt\n    lastUsedAt\n    activeGrants\n  }\n"): (typeof documents)["\n  fragment AccountApp on ConnectedApp {\n    clientId\n    clientName\n    clientUri\n    scopes\n    firstGrantedAt\n    lastUsedAt\n    activeGrants\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountRevokeApp($clientId: ID!) {\n    revokeMyGrant(clientId: $clientId)\n  }\n"): (typeof documents)["\n  mutation AccountRevokeApp($clientId: ID!) {\n    revokeMyGrant(clientId: $clientId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountChangeEmail($currentPassword: String!, $email: String!) {\n    changeMyEmail(currentPassword: $currentPassword, email: $email)\n  }\n"): (typeof documents)["\n  mutation AccountChangeEmail($currentPassword: String!, $email: String!) {\n    changeMyEmail(currentPassword: $currentPassword, email: $email)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountStartPasskey($currentPassword: String!) {\n    startPasskeyRegistration(currentPassword: $currentPassword) {\n      id\n      options\n    }\n  }\n"): (typeof documents)["\n  mutation AccountStartPasskey($currentPassword: String!) {\n    startPasskeyRegistration(currentPassword: $currentPassword) {\n      id\n      options\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountFinishPasskey($id: ID!, $response: String!, $name: String!) {\n    finishPasskeyRegistration(id: $id, response: $response, name: $name) {\n      factor {\n        id\n        name\n      }\n      recoveryCodes\n    }\n  }\n"): (typeof documents)["\n  mutation AccountFinishPasskey($id: ID!, $response: String!, $name: String!) {\n    finishPasskeyRegistration(id: $id, response: $response, name: $name) {\n      factor {\n        id\n        name\n      }\n      recoveryCodes\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountChangePassword($currentPassword: String!, $newPassword: String!, $endOtherSessions: Boolean!) {\n    changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword, endOtherSessions: $endOtherSessions)\n  }\n"): (typeof documents)["\n  mutation AccountChangePassword($currentPassword: String!, $newPassword: String!, $endOtherSessions: Boolean!) {\n    changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword, endOtherSessions: $endOtherSessions)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AccountUser on PublicUser {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n  }\n"): (typeof documents)["\n  fragment AccountUser on PublicUser {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountUpdateMe($input: UpdateMeInput!) {\n    updateMe(input: $input) {\n      ...AccountUser\n    }\n  }\n"): (typeof documents)["\n  mutation AccountUpdateMe($input: UpdateMeInput!) {\n    updateMe(input: $input) {\n      ...AccountUser\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AccountSession on MySession {\n    id\n    createdAt\n    authTime\n    expiresAt\n    current\n    userAgent\n    ip\n  }\n"): (typeof documents)["\n  fragment AccountSession on MySession {\n    id\n    createdAt\n    authTime\n    expiresAt\n    current\n    userAgent\n    ip\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountEndSession($id: ID!) {\n    endMySession(id: $id)\n  }\n"): (typeof documents)["\n  mutation AccountEndSession($id: ID!) {\n    endMySession(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AccountFactor on Factor {\n    id\n    kind\n    name\n    createdAt\n    lastUsedAt\n  }\n"): (typeof documents)["\n  fragment AccountFactor on Factor {\n    id\n    kind\n    name\n    createdAt\n    lastUsedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountStartTotp($currentPassword: String!) {\n    startTotpEnrolment(currentPassword: $currentPassword) {\n      id\n      secret\n      otpauthUri\n      qrSvg\n    }\n  }\n"): (typeof documents)["\n  mutation AccountStartTotp($currentPassword: String!) {\n    startTotpEnrolment(currentPassword: $currentPassword) {\n      id\n      secret\n      otpauthUri\n      qrSvg\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountConfirmTotp($id: ID!, $code: String!, $name: String!) {\n    confirmTotpEnrolment(id: $id, code: $code, name: $name)\n  }\n"): (typeof documents)["\n  mutation AccountConfirmTotp($id: ID!, $code: String!, $name: String!) {\n    confirmTotpEnrolment(id: $id, code: $code, name: $name)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountRegenerateRecoveryCodes($currentPassword: String!) {\n    regenerateRecoveryCodes(currentPassword: $currentPassword)\n  }\n"): (typeof documents)["\n  mutation AccountRegenerateRecoveryCodes($currentPassword: String!) {\n    regenerateRecoveryCodes(currentPassword: $currentPassword)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccountRemoveFactor($id: ID!, $currentPassword: String!) {\n    removeMyFactor(id: $id, currentPassword: $currentPassword)\n  }\n"): (typeof documents)["\n  mutation AccountRemoveFactor($id: ID!, $currentPassword: String!) {\n    removeMyFactor(id: $id, currentPassword: $currentPassword)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleAuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {\n    auditEvents(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditEventRow\n          details\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleAuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {\n    auditEvents(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditEventRow\n          details\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleAuditLive($types: [String!]) {\n    auditEvents(types: $types) {\n      ...AuditEventRow\n      details\n    }\n  }\n"): (typeof documents)["\n  subscription ConsoleAuditLive($types: [String!]) {\n    auditEvents(types: $types) {\n      ...AuditEventRow\n      details\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleClientsRow on Client {\n    id\n    name\n    public\n    firstParty\n    admin\n    redirectUris\n  }\n"): (typeof documents)["\n  fragment ConsoleClientsRow on Client {\n    id\n    name\n    public\n    firstParty\n    admin\n    redirectUris\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleClientsDetail on Client {\n    id\n    name\n    public\n    tokenEndpointAuthMethod\n    jwks\n    jwksUri\n    redirectUris\n    postLogoutRedirectUris\n    allowedOrigins\n    grantTypes\n    responseTypes\n    firstParty\n    admin\n    requireMfa\n    requirePar\n    requireDpop\n    logoutAll\n    backchannelLogoutUri\n    clientUri\n    logoUri\n    idTokenSignedResponseAlg\n    extraIdTokenClaims {\n      claim\n      field\n      scope\n    }\n    userRestrictions {\n      field\n      equals\n    }\n    audiences\n    createdAt\n    updatedAt\n  }\n"): (typeof documents)["\n  fragment ConsoleClientsDetail on Client {\n    id\n    name\n    public\n    tokenEndpointAuthMethod\n    jwks\n    jwksUri\n    redirectUris\n    postLogoutRedirectUris\n    allowedOrigins\n    grantTypes\n    responseTypes\n    firstParty\n    admin\n    requireMfa\n    requirePar\n    requireDpop\n    logoutAll\n    backchannelLogoutUri\n    clientUri\n    logoUri\n    idTokenSignedResponseAlg\n    extraIdTokenClaims {\n      claim\n      field\n      scope\n    }\n    userRestrictions {\n      field\n      equals\n    }\n    audiences\n    createdAt\n    updatedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleClientsList($search: String, $after: String) {\n    clients(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleClientsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleClientsList($search: String, $after: String) {\n    clients(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleClientsRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleClientsClient($id: ID!) {\n    client(id: $id) {\n      ...ConsoleClientsDetail\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"): (typeof documents)["\n  query ConsoleClientsClient($id: ID!) {\n    client(id: $id) {\n      ...ConsoleClientsDetail\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleClientsDefaults {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"): (typeof documents)["\n  query ConsoleClientsDefaults {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleClientsCreate($input: CreateClientInput!) {\n    createClient(input: $input) {\n      client {\n        ...ConsoleClientsDetail\n      }\n      clientSecret\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleClientsCreate($input: CreateClientInput!) {\n    createClient(input: $input) {\n      client {\n        ...ConsoleClientsDetail\n      }\n      clientSecret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleClientsUpdate($id: ID!, $input: ClientMetadataInput!) {\n    updateClient(id: $id, input: $input) {\n      ...ConsoleClientsDetail\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleClientsUpdate($id: ID!, $input: ClientMetadataInput!) {\n    updateClient(id: $id, input: $input) {\n      ...ConsoleClientsDetail\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleClientsRotateSecret($id: ID!) {\n    rotateClientSecret(id: $id) {\n      client {\n        id\n        updatedAt\n      }\n      clientSecret\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleClientsRotateSecret($id: ID!) {\n    rotateClientSecret(id: $id) {\n      client {\n        id\n        updatedAt\n      }\n      clientSecret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleClientsDelete($id: ID!) {\n    deleteClient(id: $id)\n  }\n"): (typeof documents)["\n  mutation ConsoleClientsDelete($id: ID!) {\n    deleteClient(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleKeysFamily on KeyFamilyStatus {\n    family\n    alg\n    activeKid\n    nextRotationAt\n    keys {\n      kid\n      alg\n      state\n      createdAt\n      activatesAt\n      retiresAt\n      deletesAt\n    }\n  }\n"): (typeof documents)["\n  fragment ConsoleKeysFamily on KeyFamilyStatus {\n    family\n    alg\n    activeKid\n    nextRotationAt\n    keys {\n      kid\n      alg\n      state\n      createdAt\n      activatesAt\n      retiresAt\n      deletesAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleKeysStatus {\n    keyRotationStatus {\n      ...ConsoleKeysFamily\n    }\n  }\n"): (typeof documents)["\n  query ConsoleKeysStatus {\n    keyRotationStatus {\n      ...ConsoleKeysFamily\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleKeysRotate($now: Boolean!) {\n    rotateKeys(now: $now) {\n      ...ConsoleKeysFamily\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleKeysRotate($now: Boolean!) {\n    rotateKeys(now: $now) {\n      ...ConsoleKeysFamily\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleOverview {\n    overview {\n      users\n      administrators\n      clients\n      activeSessions\n      activeGrants\n    }\n    keyRotationStatus {\n      family\n      alg\n      activeKid\n      nextRotationAt\n      keys {\n        kid\n        state\n      }\n    }\n    auditEvents(first: 8) {\n      edges {\n        node {\n          ...AuditEventRow\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleOverview {\n    overview {\n      users\n      administrators\n      clients\n      activeSessions\n      activeGrants\n    }\n    keyRotationStatus {\n      family\n      alg\n      activeKid\n      nextRotationAt\n      keys {\n        kid\n        state\n      }\n    }\n    auditEvents(first: 8) {\n      edges {\n        node {\n          ...AuditEventRow\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleResource on Resource {\n    id\n    scopes\n    accessTokenLifetime\n    alg\n    createdAt\n  }\n"): (typeof documents)["\n  fragment ConsoleResource on Resource {\n    id\n    scopes\n    accessTokenLifetime\n    alg\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleResourcesList($after: String) {\n    resources(first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleResource\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleResourcesList($after: String) {\n    resources(first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleResource\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleResourcesResource($id: ID!) {\n    resource(id: $id) {\n      ...ConsoleResource\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"): (typeof documents)["\n  query ConsoleResourcesResource($id: ID!) {\n    resource(id: $id) {\n      ...ConsoleResource\n    }\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleResourcesAlgs {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"): (typeof documents)["\n  query ConsoleResourcesAlgs {\n    keyRotationStatus {\n      family\n      alg\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleResourcesCreate($input: CreateResourceInput!) {\n    createResource(input: $input) {\n      ...ConsoleResource\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleResourcesCreate($input: CreateResourceInput!) {\n    createResource(input: $input) {\n      ...ConsoleResource\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleResourcesUpdate($id: ID!, $input: ResourceMetadataInput!) {\n    updateResource(id: $id, input: $input) {\n      ...ConsoleResource\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleResourcesUpdate($id: ID!, $input: ResourceMetadataInput!) {\n    updateResource(id: $id, input: $input) {\n      ...ConsoleResource\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleResourcesDelete($id: ID!) {\n    deleteResource(id: $id)\n  }\n"): (typeof documents)["\n  mutation ConsoleResourcesDelete($id: ID!) {\n    deleteResource(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleUsersRow on User {\n    id\n    username\n    email\n    givenName\n    familyName\n    admin\n    active\n    createdAt\n  }\n"): (typeof documents)["\n  fragment ConsoleUsersRow on User {\n    id\n    username\n    email\n    givenName\n    familyName\n    admin\n    active\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleUsersList($search: String, $after: String) {\n    users(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleUsersRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleUsersList($search: String, $after: String) {\n    users(search: $search, first: 20, after: $after) {\n      edges {\n        node {\n          ...ConsoleUsersRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersCreate($input: CreateUserInput!) {\n    createUser(input: $input) {\n      id\n      username\n      hasPassword\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersCreate($input: CreateUserInput!) {\n    createUser(input: $input) {\n      id\n      username\n      hasPassword\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuditEventRow on AuditEvent {\n    id\n    time\n    event\n    outcome\n    actor\n    client\n    ip\n    message\n  }\n"): (typeof documents)["\n  fragment AuditEventRow on AuditEvent {\n    id\n    time\n    event\n    outcome\n    actor\n    client\n    ip\n    message\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersInvite($email: String!, $admin: Boolean!) {\n    inviteUser(email: $email, admin: $admin) {\n      email\n      admin\n      expiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersInvite($email: String!, $admin: Boolean!) {\n    inviteUser(email: $email, admin: $admin) {\n      email\n      admin\n      expiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleUsersSession on Session {\n    id\n    createdAt\n    authTime\n    amr\n    expiresAt\n  }\n"): (typeof documents)["\n  fragment ConsoleUsersSession on Session {\n    id\n    createdAt\n    authTime\n    amr\n    expiresAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleUsersGrant on Grant {\n    id\n    clientId\n    scopes\n    createdAt\n    expiresAt\n    refreshCount\n    active\n    revokedAt\n  }\n"): (typeof documents)["\n  fragment ConsoleUsersGrant on Grant {\n    id\n    clientId\n    scopes\n    createdAt\n    expiresAt\n    refreshCount\n    active\n    revokedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersRevokeGrant($id: ID!) {\n    revokeGrant(id: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersRevokeGrant($id: ID!) {\n    revokeGrant(id: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleUsersTwoStep on User {\n    factors {\n      id\n      kind\n      name\n      createdAt\n      lastUsedAt\n    }\n    recoveryCodesLeft\n  }\n"): (typeof documents)["\n  fragment ConsoleUsersTwoStep on User {\n    factors {\n      id\n      kind\n      name\n      createdAt\n      lastUsedAt\n    }\n    recoveryCodesLeft\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersResetFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersResetFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersRemoveFactor($userId: ID!, $factorId: ID!) {\n    removeUserFactor(userId: $userId, factorId: $factorId)\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersRemoveFactor($userId: ID!, $factorId: ID!) {\n    removeUserFactor(userId: $userId, factorId: $factorId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleUsersDetail on User {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n    admin\n    active\n    hasPassword\n    createdAt\n    updatedAt\n  }\n"): (typeof documents)["\n  fragment ConsoleUsersDetail on User {\n    id\n    username\n    email\n    emailVerified\n    givenName\n    familyName\n    locale\n    picture\n    admin\n    active\n    hasPassword\n    createdAt\n    updatedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleUsersUser($id: ID!) {\n    me {\n      sub\n    }\n    user(id: $id) {\n      ...ConsoleUsersDetail\n      ...ConsoleUsersTwoStep\n    }\n    sessions(userId: $id) {\n      ...ConsoleUsersSession\n    }\n    grants(userId: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n"): (typeof documents)["\n  query ConsoleUsersUser($id: ID!) {\n    me {\n      sub\n    }\n    user(id: $id) {\n      ...ConsoleUsersDetail\n      ...ConsoleUsersTwoStep\n    }\n    sessions(userId: $id) {\n      ...ConsoleUsersSession\n    }\n    grants(userId: $id) {\n      ...ConsoleUsersGrant\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersUpdate($id: ID!, $input: UpdateUserInput!) {\n    updateUser(id: $id, input: $input) {\n      ...ConsoleUsersDetail\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersUpdate($id: ID!, $input: UpdateUserInput!) {\n    updateUser(id: $id, input: $input) {\n      ...ConsoleUsersDetail\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersSetPassword($id: ID!, $password: String) {\n    setUserPassword(id: $id, password: $password) {\n      ...ConsoleUsersDetail\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersSetPassword($id: ID!, $password: String) {\n    setUserPassword(id: $id, password: $password) {\n      ...ConsoleUsersDetail\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleUsersDelete($id: ID!) {\n    deleteUser(id: $id)\n  }\n"): (typeof documents)["\n  mutation ConsoleUsersDelete($id: ID!) {\n    deleteUser(id: $id)\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;