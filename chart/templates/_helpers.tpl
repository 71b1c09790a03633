{{- define "periscope.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "periscope.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "periscope.selectorLabels" -}}
app.kubernetes.io/name: {{ include "periscope.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "periscope.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "periscope.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "periscope.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "periscope.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "periscope.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* "true" when a registered cluster is the one Periscope runs in. */}}
{{- define "periscope.hasInCluster" -}}
{{- range .Values.clusters -}}
{{- if eq (toString .backend) "in-cluster" -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* "true" when the server runs the agent tunnel: asked for, or a cluster is reached through an agent. */}}
{{- define "periscope.agentEnabled" -}}
{{- if .Values.agent.enabled -}}true{{- end -}}
{{- range .Values.clusters -}}
{{- if eq (toString .backend) "agent" -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* The tunnel listener's port, from agent.listenAddr ([host]:port). */}}
{{- define "periscope.agentPort" -}}
{{- splitList ":" (.Values.agent.listenAddr | default ":8443") | last -}}
{{- end -}}

{{/* The data volume is a PVC when audit storage asks for one, and for the agent CA kept in it. */}}
{{- define "periscope.dataPvc" -}}
{{- if and (or .Values.audit.enabled (include "periscope.agentEnabled" .)) (eq .Values.audit.storage.type "pvc") -}}true{{- end -}}
{{- end -}}

{{- define "periscope.clusterRBAC" -}}
{{- if or .Values.clusterRBAC.enabled (include "periscope.hasInCluster" .) -}}true{{- end -}}
{{- end -}}

{{/* The Secret holding the OIDC client secret, for the modes that have one. */}}
{{- define "periscope.oidcSecretName" -}}
{{- if eq .Values.secrets.mode "existing" -}}
{{- .Values.secrets.existing.name -}}
{{- else -}}
{{- printf "%s-oidc" (include "periscope.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "periscope.oidcSecretKey" -}}
{{- if eq .Values.secrets.mode "existing" -}}
{{- .Values.secrets.existing.key | default "OIDC_CLIENT_SECRET" -}}
{{- else -}}
OIDC_CLIENT_SECRET
{{- end -}}
{{- end -}}

{{/* auth.yaml: the auth values, the client secret pointing at the environment unless the
     operator gave a reference (native mode) or there is no OIDC issuer at all. */}}
{{- define "periscope.authFile" -}}
{{- $auth := deepCopy .Values.auth -}}
{{- $oidc := default dict $auth.oidc -}}
{{- if and $oidc.issuer (not $oidc.clientSecret) (ne .Values.secrets.mode "native") -}}
{{- $_ := set $oidc "clientSecret" "${OIDC_CLIENT_SECRET}" -}}
{{- end -}}
{{- $_ := set $auth "oidc" $oidc -}}
{{- range $key, $value := $auth -}}
{{- if empty $value -}}{{- $_ := unset $auth $key -}}{{- end -}}
{{- end -}}
{{- toYaml $auth -}}
{{- end -}}

{{- define "periscope.clustersFile" -}}
{{- toYaml (dict "clusters" .Values.clusters) -}}
{{- end -}}

{{- define "periscope.auditVolume" -}}
{{- printf "%s-audit" (include "periscope.fullname" .) -}}
{{- end -}}
