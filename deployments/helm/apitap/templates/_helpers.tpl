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

{{/* Kafka connection settings shared by agents (producers) and analyzers. */}}
{{- define "apitap.kafkaEnv" -}}
{{- if not .Values.kafka.brokers }}
{{- fail "kafka.brokers: give at least one host:port when kafka.enabled is true" }}
{{- end -}}
- name: APITAP_KAFKA
  value: {{ join "," .Values.kafka.brokers | quote }}
- name: APITAP_KAFKA_TOPIC
  value: {{ .Values.kafka.topic | quote }}
{{- if .Values.kafka.tls.enabled }}
- name: APITAP_KAFKA_TLS
  value: "true"
{{- with .Values.kafka.tls.serverName }}
- name: APITAP_KAFKA_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if .Values.kafka.tls.secretName }}
- name: APITAP_KAFKA_TLS_CA
  value: /etc/apitap/kafka-tls/ca.crt
{{- if .Values.kafka.tls.clientCert }}
- name: APITAP_KAFKA_TLS_CERT
  value: /etc/apitap/kafka-tls/tls.crt
- name: APITAP_KAFKA_TLS_KEY
  value: /etc/apitap/kafka-tls/tls.key
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.kafka.sasl.mechanism }}
{{- if not (has . (list "PLAIN" "SCRAM-SHA-256" "SCRAM-SHA-512")) }}
{{- fail (printf "kafka.sasl.mechanism: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q" .) }}
{{- end }}
- name: APITAP_KAFKA_SASL_MECHANISM
  value: {{ . | quote }}
- name: APITAP_KAFKA_USER
  value: {{ $.Values.kafka.sasl.username | quote }}
- name: APITAP_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "apitap.secretName" $ }}
      key: kafka-password
{{- end }}
{{- end -}}

{{- define "apitap.kafkaTLSMounts" -}}
{{- if and .Values.kafka.enabled .Values.kafka.tls.enabled .Values.kafka.tls.secretName -}}
- name: kafka-tls
  mountPath: /etc/apitap/kafka-tls
  readOnly: true
{{- end -}}
{{- end -}}

{{- define "apitap.kafkaTLSVolumes" -}}
{{- if and .Values.kafka.enabled .Values.kafka.tls.enabled .Values.kafka.tls.secretName -}}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.secretName }}
{{- end -}}
{{- end -}}
