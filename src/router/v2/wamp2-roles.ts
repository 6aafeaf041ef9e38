import type { RouterRoles } from '../../protocol/v2/messages.js';

/**
 * What the v2 router announces in WELCOME.Details.roles: the broker and dealer with the Advanced
 * Profile features they implement. The one place to list a feature once it is served.
 */
export const ROUTER_ROLES: RouterRoles = {
  broker: { features: { publisher_exclusion: true, subscriber_blackwhite_listing: true, pattern_based_subscription: true } },
  dealer: { features: { call_canceling: true } },
};
