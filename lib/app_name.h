/* app_name: the agent's ACAP appName, the one name the camera, the agent's own config,
 * the simulated camera and the cloud's inventory rules (which keep the agent apart
 * from the apps it manages) all use. */
#ifndef CAMAGENT_APP_NAME_H
#define CAMAGENT_APP_NAME_H

#define CAMAGENT_APP_NAME "camagent"

#endif
