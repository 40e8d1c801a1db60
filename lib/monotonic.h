/* monotonic: seconds on CLOCK_MONOTONIC, for intervals and deadlines that a change of
 * the wall clock must not move. */
#ifndef CAM_MONOTONIC_H
#define CAM_MONOTONIC_H

/* Seconds since an arbitrary start, with sub-second precision. */
double monotonic_now(void);

#endif
