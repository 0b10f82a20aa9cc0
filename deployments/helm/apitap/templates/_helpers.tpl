{{/* The release's base name: "apitap" for a release called apitap. */}}
{{- define "apitap.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "apitap.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selectorLabels takes (dict "ctx" $ "component" "agent"). */}}
{{- define "apitap.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "apitap.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "apitap.secretName" -}}
{{- .Values.existingSecret | default (include "apitap.fullname" .) -}}
{{- end -}}

{{/* Container securityContext shared by every container but the agent. */}}
{{- define "apitap.restrictedSecurityContext" -}}
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop:
    - ALL
{{- end -}}

{{/* The agent's added capabilities for its capture mode (docs/operations.md). */}}
{{- define "apitap.agentCapabilities" -}}
{{- $caps := list "NET_RAW" -}}
{{- if eq .Values.agent.capture.mode "ebpf" -}}
{{- $caps = concat $caps (list "BPF" "PERFMON") -}}
{{- if .Values.agent.capture.ebpf.tls -}}
{{- $caps = concat $caps (list "SYS_PTRACE" "DAC_READ_SEARCH") -}}
{{- end -}}
{{- end -}}
{{- toYaml $caps -}}
{{- end -}}
