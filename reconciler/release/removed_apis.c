#include "reconciler/release/removed_apis.h"

#include <stddef.h>
#include <string.h>

#include "util/common.h"

/* clang-format off */
static const gc_removed_api removed[] = {
	{ "extensions/v1beta1", "Deployment", "1.16", "apps/v1" },
	{ "extensions/v1beta1", "DaemonSet", "1.16", "apps/v1" },
	{ "extensions/v1beta1", "ReplicaSet", "1.16", "apps/v1" },
	{ "extensions/v1beta1", "NetworkPolicy", "1.16", "networking.k8s.io/v1" },
	{ "extensions/v1beta1", "PodSecurityPolicy", "1.16", NULL },
	{ "extensions/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1" },
	{ "apps/v1beta1", NULL, "1.16", "apps/v1" },
	{ "apps/v1beta2", NULL, "1.16", "apps/v1" },
	{ "networking.k8s.io/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1" },
	{ "networking.k8s.io/v1beta1", "IngressClass", "1.22", "networking.k8s.io/v1" },
	{ "rbac.authorization.k8s.io/v1beta1", NULL, "1.22", "rbac.authorization.k8s.io/v1" },
	{ "apiextensions.k8s.io/v1beta1", NULL, "1.22", "apiextensions.k8s.io/v1" },
	{ "admissionregistration.k8s.io/v1beta1", NULL, "1.22", "admissionregistration.k8s.io/v1" },
	{ "apiregistration.k8s.io/v1beta1", NULL, "1.22", "apiregistration.k8s.io/v1" },
	{ "certificates.k8s.io/v1beta1", NULL, "1.22", "certificates.k8s.io/v1" },
	{ "coordination.k8s.io/v1beta1", NULL, "1.22", "coordination.k8s.io/v1" },
	{ "storage.k8s.io/v1beta1", "CSIDriver", "1.22", "storage.k8s.io/v1" },
	{ "storage.k8s.io/v1beta1", "CSINode", "1.22", "storage.k8s.io/v1" },
	{ "storage.k8s.io/v1beta1", "StorageClass", "1.22", "storage.k8s.io/v1" },
	{ "storage.k8s.io/v1beta1", "VolumeAttachment", "1.22", "storage.k8s.io/v1" },
	{ "storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1" },
	{ "batch/v1beta1", "CronJob", "1.25", "batch/v1" },
	{ "discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", "discovery.k8s.io/v1" },
	{ "events.k8s.io/v1beta1", "Event", "1.25", "events.k8s.io/v1" },
	{ "autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2" },
	{ "autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2" },
	{ "policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1" },
	{ "policy/v1beta1", "PodSecurityPolicy", "1.25", NULL },
	{ "node.k8s.io/v1beta1", "RuntimeClass", "1.25", "node.k8s.io/v1" },
	{ "flowcontrol.apiserver.k8s.io/v1beta1", NULL, "1.26", "flowcontrol.apiserver.k8s.io/v1" },
	{ "flowcontrol.apiserver.k8s.io/v1beta2", NULL, "1.29", "flowcontrol.apiserver.k8s.io/v1" },
	{ "flowcontrol.apiserver.k8s.io/v1beta3", NULL, "1.32", "flowcontrol.apiserver.k8s.io/v1" },
};
/* clang-format on */

const gc_removed_api *gc_removed_api_find(const char *api_version,
					  const char *kind)
{
	/* every removed version is a beta: most objects stop here, which
	 * matters on a full pass over every object of the source */
	if (!api_version || !kind || !strstr(api_version, "beta"))
		return NULL;
	for (size_t i = 0; i < GC_ARRAY_SIZE(removed); i++)
		if (!strcmp(removed[i].api_version, api_version) &&
		    (!removed[i].kind || !strcmp(removed[i].kind, kind)))
			return &removed[i];
	return NULL;
}
