/*
 * actors.h: the buyer, the logistics company and the platform, played by
 * the mock (issue "ddmock platform behaviour"; doudian-open-api.md §4.9,
 * §5.5-§5.6; doudian-shipping-and-operations.md §2).
 *
 * The merchant side acts only through the real APIs; everyone else acts
 * here: the buyer applies for an after-sale (type 0 return, 1 shipped
 * refund-only, 2 unshipped refund-only), modifies it (208), cancels it
 * (207), ships a return with a tracking number (203); logistics delivers
 * the return parcel to the merchant; the platform agrees or refuses through
 * customer service and arbitration. Each action moves the after-sale's
 * state machine through world.h (which emits the messages) and is refused
 * with a clear message when illegal in the current state.
 *
 * The platform's timers also live here: when an after-sale's
 * status_deadline passes, mock_actor_deadline_cb applies what the platform
 * does on timeout (agree a pre-shipment refund or a return application,
 * close a return the buyer never shipped, confirm and refund a return that
 * arrived). Every action and timer firing is journalled (kind "actor" or
 * "timer").
 */
#ifndef MOCK_ACTORS_H
#define MOCK_ACTORS_H

#include <stdint.h>

struct mock_server;

/* Timer callback for an after-sale deadline: a = world serial, b = the
 * after-sale index. Does nothing when the world is gone, the after-sale is
 * final, or its status_deadline moved since the timer was set. */
void mock_actor_deadline_cb(struct mock_server *s, uint64_t a, uint64_t b);

#endif
