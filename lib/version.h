/* version: the order of AXIS OS style versions ("11.11.73", "12.0.1-beta"), shared
 * by the agent (anti-downgrade) and the cloud (job eligibility) so both agree. */
#ifndef CAM_VERSION_H
#define CAM_VERSION_H

/* <0, 0, >0 like strcmp. Digit runs compare as numbers of any length, the rest as
 * text, and a "-suffix" (pre-release) sorts before the release: 12.0.1-beta < 12.0.1. */
int version_compare(const char *a, const char *b);

#endif
