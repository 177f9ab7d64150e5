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

/*
 * Timer callback for an after-sale deadline: a = world serial, b = the
 * after-sale index. Does nothing when the world is gone, the after-sale is
 * final or has no deadline, or its status_deadline is still ahead (it
 * moved since the timer was set; the new deadline has its own timer).
 * Otherwise applies the platform's timeout action for the after-sale's
 * current state and journals it (kind "timer"):
 *   status 6, type 1 or 2: agree and refund (201, 206)  timer.merchant_response
 *   status 6, type 0:      agree the return (202)       timer.merchant_response
 *   status 27, type 0/1:   close (207)                  timer.buyer_appeal
 *   status 7:              close (207)                  timer.buyer_return
 *   status 11:             confirm receipt, refund      timer.merchant_receive
 * The world's outbox receives the messages and the next deadline; the
 * loop drains it after the timers ran.
 */
void mock_actor_deadline_cb(struct mock_server *s, uint64_t a, uint64_t b);

/*
 * The admin calls of this module (mock_admin_actors, declared in admin.h):
 *   POST /_mock/worlds/{K}/actions/{actor.action}   buyer.apply,
 *        buyer.modify, buyer.cancel, buyer.ship_return,
 *        logistics.deliver_return, platform.agree, platform.refuse,
 *        platform.arbitrate: JSON body; 200 with the after-sale's state,
 *        400 bad body, 404 unknown id, 409 illegal in the current state
 *        (nothing changed), each answer {"error": "ACTION: ..."}.
 *   GET  /_mock/worlds/{K}/timers                   pending deadlines
 *   POST /_mock/worlds/{K}/aftersales/{ID}/fire_timer   the deadline action
 *        now (409 when nothing is pending)
 * Bodies and answers are documented in mock/README.md, "Actors and
 * platform timers".
 */

#endif
