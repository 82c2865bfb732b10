"""template.yaml, loaded (cfn-lint's decoder) and translated by SAM's own translator into
plain CloudFormation, checked for the defects of issue 13: CloudFront names, error
caching, the info.json cache key, the functions' permissions and failure destination,
parameters wired to the settings the binary reads, log groups, the custom domain, the
caching split between browsers and CloudFront, and the SAR metadata.

Run: .venv/bin/python -m unittest tests/template/test_template.py (scripts/test does).
"""

import copy
import json
import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

TOP = Path(__file__).resolve().parents[2]
TEMPLATE = TOP / "template.yaml"


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs by name; the template names none."""

    def load(self):
        return {}


def translate():
    # The translator wants a region for ARNs it builds; any will do, offline.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    source = cfn_yaml.load(str(TEMPLATE))
    packaged = copy.deepcopy(source)
    # What `sam package` does to a local CodeUri before the translator sees it.
    for res in packaged["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    return source, transform(packaged, {}, NoManagedPolicies())


SOURCE, CFN = translate()
RESOURCES = CFN["Resources"]


def of_type(kind):
    return {k: v for k, v in RESOURCES.items() if v["Type"] == kind}


def evaluate(node, env):
    """The value of an intrinsic-function expression, for the functions names use."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return [evaluate(n, env) for n in node]
    (fn, arg), = node.items()
    if fn == "Ref":
        return env[arg]
    if fn == "Fn::Select":
        return evaluate(arg[1], env)[int(arg[0])]
    if fn == "Fn::Split":
        return evaluate(arg[1], env).split(arg[0])
    if fn == "Fn::Join":
        return arg[0].join(evaluate(arg[1], env))
    if fn == "Fn::Sub":
        text, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = dict(env, **{k: evaluate(v, env) for k, v in names.items()})
        return re.sub(r"\$\{([^}]+)\}", lambda m: local[m.group(1)], text)
    raise AssertionError(f"unexpected {fn} in a name")


def pseudo(region, stack_name, uuid):
    return {
        "AWS::Region": region,
        "AWS::StackName": stack_name,
        "AWS::AccountId": "123456789012",
        "AWS::StackId": f"arn:aws:cloudformation:{region}:123456789012:stack/{stack_name}/{uuid}",
    }


def env_vars(logical_id):
    return RESOURCES[logical_id]["Properties"]["Environment"]["Variables"]


def statements(function_id):
    """Every inline policy statement of a function's generated role."""
    role = RESOURCES[function_id + "Role"]["Properties"]
    found = []
    for policy in role.get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            found.append(st)
    return found


def actions(statement):
    a = statement.get("Action", [])
    return [a] if isinstance(a, str) else a


class CloudFrontNames(unittest.TestCase):
    # Name limits: CloudFront Functions and origin access controls 64 characters, cache
    # and origin request policies 128, the distribution's comment 128.
    LIMITS = {
        "AWS::CloudFront::Function": (("Name",), 64),
        "AWS::CloudFront::OriginAccessControl": (("OriginAccessControlConfig", "Name"), 64),
        "AWS::CloudFront::CachePolicy": (("CachePolicyConfig", "Name"), 128),
        "AWS::CloudFront::OriginRequestPolicy": (("OriginRequestPolicyConfig", "Name"), 128),
        "AWS::CloudFront::Distribution": (("DistributionConfig", "Comment"), 128),
    }

    def names(self, env):
        out = {}
        for kind, (path, limit) in self.LIMITS.items():
            for logical_id, res in of_type(kind).items():
                node = res["Properties"]
                for key in path:
                    node = node[key]
                out[logical_id] = (evaluate(node, env), limit)
        return out

    def test_names_are_unique_per_account_and_bounded(self):
        uuid1 = "0d1b4e60-1234-11ef-9f0c-0a1b2c3d4e5f"
        uuid2 = "7a6c1e20-5678-11ef-8e1d-0f9e8d7c6b5a"
        longest = "x" * 128  # CloudFormation's longest stack name
        a = self.names(pseudo("us-east-1", longest, uuid1))
        b = self.names(pseudo("ap-southeast-4", longest, uuid2))
        self.assertGreaterEqual(len(a), 6)
        for env_names in (a, b):
            for logical_id, (name, limit) in env_names.items():
                self.assertLessEqual(len(name), limit, f"{logical_id}: {name}")
            # Within one stack, no two resources of a kind share a name.
            self.assertEqual(len({n for n, _ in env_names.values()}), len(env_names))
        # The same stack name in a second region (a second stack) names nothing the same.
        for logical_id in a:
            self.assertNotEqual(a[logical_id][0], b[logical_id][0], logical_id)


class ErrorCaching(unittest.TestCase):
    def test_no_error_status_is_kept_by_cloudfront(self):
        dist = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
        ttl = {e["ErrorCode"]: e["ErrorCachingMinTTL"] for e in dist["CustomErrorResponses"]}
        # Tessera's own (src/service/error.rs) and the platform's (Lambda, CloudFront).
        for code in (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504):
            self.assertEqual(ttl.get(code), 0, code)


class CacheKeys(unittest.TestCase):
    def headers(self, policy):
        cfg = RESOURCES[policy]["Properties"]["CachePolicyConfig"]
        return cfg["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]

    def test_info_json_is_keyed_on_accept_and_images_on_nothing_but_cors(self):
        info = self.headers("InfoCachePolicy")
        self.assertEqual(info["HeaderBehavior"], "whitelist")
        self.assertEqual(info["Headers"], {"Fn::If": ["CorsVaries", ["Accept", "Origin"], ["Accept"]]})
        images = self.headers("ImageCachePolicy")
        self.assertEqual(images["Fn::If"][0], "CorsVaries")
        self.assertEqual(images["Fn::If"][2], {"HeaderBehavior": "none"})
        self.assertEqual(images["Fn::If"][1]["Headers"], ["Origin"])

    def test_every_behaviour_runs_the_viewer_request_function(self):
        dist = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
        behaviours = [dist["DefaultCacheBehavior"], *dist["CacheBehaviors"]]
        for b in behaviours:
            (assoc,) = b["FunctionAssociations"]
            self.assertEqual(assoc["EventType"], "viewer-request")
            self.assertEqual(assoc["FunctionARN"]["Fn::GetAtt"][0], "ViewerRequestFunction")

    def test_viewer_request_function_in_node(self):
        code = RESOURCES["ViewerRequestFunction"]["Properties"]["FunctionCode"]
        runtime = RESOURCES["ViewerRequestFunction"]["Properties"]["FunctionConfig"]["Runtime"]
        self.assertEqual(runtime, "cloudfront-js-2.0")
        self.assertLess(len(code.encode()), 10240)  # CloudFront Functions' size limit
        with tempfile.NamedTemporaryFile("w", suffix=".js") as f:
            f.write(code)
            f.flush()
            run = subprocess.run(
                ["node", str(Path(__file__).with_name("viewer_request.test.js")), f.name],
                capture_output=True, text=True,
            )
        self.assertEqual(run.returncode, 0, run.stderr)


class Permissions(unittest.TestCase):
    def test_metadata_function_may_abort_its_multipart_copies(self):
        s3 = [st for st in statements("MetadataFunction") if "s3:PutObject" in actions(st)]
        self.assertEqual(len(s3), 1)
        self.assertIn("s3:AbortMultipartUpload", actions(s3[0]))

    def test_kms_key_is_granted_only_when_given(self):
        want = {"TesseraFunction": {"kms:Decrypt"},
                "MetadataFunction": {"kms:Decrypt", "kms:GenerateDataKey"}}
        for function_id, kms_actions in want.items():
            conditional = [st["Fn::If"] for st in statements(function_id) if "Fn::If" in st]
            self.assertEqual(len(conditional), 1, function_id)
            condition, granted, otherwise = conditional[0]
            self.assertEqual(condition, "HasKmsKey")
            self.assertEqual(set(actions(granted)), kms_actions)
            self.assertEqual(granted["Resource"], {"Ref": "KmsKeyArn"})
            self.assertEqual(otherwise, {"Ref": "AWS::NoValue"})
        self.assertEqual(
            CFN["Conditions"]["HasKmsKey"],
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "KmsKeyArn"}, ""]}]},
        )

    def test_the_image_function_reads_and_nothing_else(self):
        plain = [st for st in statements("TesseraFunction") if "Fn::If" not in st]
        self.assertEqual([actions(st) for st in plain], [["s3:GetObject"]])

    def test_metadata_failures_reach_a_queue(self):
        configs = [r for r in of_type("AWS::Lambda::EventInvokeConfig").values()
                   if r["Properties"]["FunctionName"] == {"Ref": "MetadataFunction"}]
        self.assertEqual(len(configs), 1)
        dest = configs[0]["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        self.assertEqual(dest, {"Fn::GetAtt": ["MetadataFailures", "Arn"]})
        self.assertEqual(RESOURCES["MetadataFailures"]["Type"], "AWS::SQS::Queue")
        send = [st for st in statements("MetadataFunction") if "sqs:SendMessage" in actions(st)]
        self.assertTrue(send, "the role may not send to the queue")


class Settings(unittest.TestCase):
    def config_envs(self):
        text = (TOP / "src" / "config.rs").read_text()
        return set(re.findall(r'env = "([A-Z0-9_]+)"', text))

    def test_every_variable_is_a_setting_the_binary_reads(self):
        known = self.config_envs() | {"RUST_LOG"}
        for function_id in ("TesseraFunction", "MetadataFunction"):
            for name in env_vars(function_id):
                self.assertIn(name, known, f"{function_id}: {name}")

    def test_parameters_reach_their_variables(self):
        env = env_vars("TesseraFunction")
        for parameter, variable in [
            ("CorsOrigin", "TESSERA_CORS_ORIGIN"),
            ("CorsAllowCredentials", "TESSERA_CORS_CREDENTIALS"),
            ("CorsExposeHeaders", "TESSERA_CORS_EXPOSE_HEADERS"),
            ("CorsMaxAge", "TESSERA_CORS_MAX_AGE"),
            ("SourceBucket", "TESSERA_BUCKET"),
            ("KeyTemplate", "TESSERA_KEY_TEMPLATE"),
            ("LogLevel", "RUST_LOG"),
            ("MaxDecodePixels", "TESSERA_MAX_DECODE_PIXELS"),
            ("DownloadConcurrency", "TESSERA_DOWNLOAD_CONCURRENCY"),
            ("FailureCacheTtl", "TESSERA_FAILURE_CACHE_TTL"),
            ("Metrics", "TESSERA_METRICS"),
            ("MetricsNamespace", "TESSERA_METRICS_NAMESPACE"),
        ]:
            self.assertEqual(env[variable], {"Ref": parameter}, variable)
            self.assertIn(parameter, CFN["Parameters"])

    def test_budgets_left_empty_are_derived_by_the_function(self):
        # An empty MemoryBudget, BlockCacheBytes or DiskCacheBytes must leave the variable
        # unset (the function derives it from MemorySize or /tmp's size), never "".
        env = env_vars("TesseraFunction")
        for parameter, variable in [
            ("MemoryBudget", "TESSERA_MEMORY_BUDGET"),
            ("BlockCacheBytes", "TESSERA_BLOCK_CACHE_BYTES"),
            ("DiskCacheBytes", "TESSERA_DISK_CACHE_BYTES"),
        ]:
            self.assertEqual(CFN["Parameters"][parameter]["Default"], "", parameter)
            condition, when_set, when_empty = env[variable]["Fn::If"]
            self.assertEqual(when_set, {"Ref": parameter}, variable)
            self.assertEqual(when_empty, {"Ref": "AWS::NoValue"}, variable)
            self.assertEqual(
                CFN["Conditions"][condition],
                {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]},
                condition,
            )

    def test_edge_keeps_a_year_and_browsers_revalidate_sooner(self):
        value = env_vars("TesseraFunction")["TESSERA_CACHE_CONTROL"]
        text = value["Fn::Sub"]
        self.assertIn("s-maxage=${CacheMaxAge}", text)
        self.assertIn("max-age=${BrowserMaxAge}", text)
        self.assertNotIn("immutable", text)
        params = CFN["Parameters"]
        self.assertEqual(params["CacheMaxAge"]["Default"], 31536000)
        self.assertLess(params["BrowserMaxAge"]["Default"], params["CacheMaxAge"]["Default"])

    def test_public_base_url_follows_the_custom_domain(self):
        value = env_vars("TesseraFunction")["TESSERA_PUBLIC_BASE_URL"]
        for base, aliases, want in [
            ("", "", ""),
            ("", "images.example.org,iiif.example.org", "https://images.example.org"),
            ("https://x.example", "images.example.org", "https://x.example"),
        ]:
            conditions = {"HasPublicBaseUrl": base != "", "HasDomain": aliases != ""}
            env = {"PublicBaseUrl": base, "DomainAliases": aliases.split(",")}
            self.assertEqual(resolve_if(value, conditions, env), want)


def resolve_if(node, conditions, env):
    if isinstance(node, dict) and "Fn::If" in node:
        name, yes, no = node["Fn::If"]
        return resolve_if(yes if conditions[name] else no, conditions, env)
    return evaluate(node, env)


class CustomDomain(unittest.TestCase):
    def test_aliases_certificate_and_records_are_optional_and_wired(self):
        dist = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
        self.assertEqual(dist["Aliases"]["Fn::If"][0], "HasDomain")
        cert = dist["ViewerCertificate"]["Fn::If"]
        self.assertEqual(cert[0], "HasDomain")
        self.assertEqual(cert[1]["AcmCertificateArn"], {"Ref": "CertificateArn"})
        self.assertEqual(cert[1]["SslSupportMethod"], "sni-only")
        records = of_type("AWS::Route53::RecordSet")
        self.assertEqual(sorted(r["Properties"]["Type"] for r in records.values()), ["A", "AAAA"])
        for r in records.values():
            self.assertEqual(r["Condition"], "HasDnsRecord")
            self.assertEqual(r["Properties"]["AliasTarget"]["HostedZoneId"], "Z2FDTNDATAQYW2")
        self.assertIn("AliasesNeedCertificate", CFN.get("Rules", SOURCE.get("Rules", {})))


class Logs(unittest.TestCase):
    def test_each_function_logs_to_a_group_with_the_retention_parameter(self):
        for function_id in ("TesseraFunction", "MetadataFunction"):
            group = RESOURCES[function_id]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            props = RESOURCES[group]["Properties"]
            self.assertEqual(RESOURCES[group]["Type"], "AWS::Logs::LogGroup")
            self.assertEqual(props["RetentionInDays"], {"Ref": "LogRetentionDays"})
            self.assertEqual(RESOURCES[group].get("Condition"), RESOURCES[function_id].get("Condition"))


def emitted_metrics():
    """The metric names the binary declares in its EMF lines (src/metrics/emf.rs)."""
    text = (TOP / "src" / "metrics" / "emf.rs").read_text()
    return set(re.findall(r'\("([A-Za-z0-9]+)", (?:COUNT|MILLISECONDS|BYTES)', text))


class Metrics(unittest.TestCase):
    def test_metrics_values_are_modes_the_binary_accepts(self):
        text = (TOP / "src" / "config.rs").read_text()
        block = text[text.index("pub enum MetricsMode") :]
        block = block[: block.index("}")]
        modes = {m.lower() for m in re.findall(r"^\s+([A-Z][a-z]+),", block, re.M)}
        self.assertEqual(modes, {"auto", "emf", "prometheus", "both", "off"})
        for value in CFN["Parameters"]["Metrics"]["AllowedValues"]:
            self.assertIn(value, modes)
        self.assertEqual(CFN["Parameters"]["Metrics"]["Default"], "emf")

    def test_namespace_pattern_follows_cloudwatch(self):
        pattern = CFN["Parameters"]["MetricsNamespace"]["AllowedPattern"]
        for good in ["Tessera", "Museum/IIIF prod", "a.b-c_d#e:f"]:
            self.assertRegex(good, pattern)
        for bad in ["", "AWS/Lambda", 'quote"', "back\\slash", "x" * 256]:
            self.assertNotRegex(bad, pattern)

    def dashboard(self, namespace="Museum/IIIF"):
        res = RESOURCES["Dashboard"]
        text, names = res["Properties"]["DashboardBody"]["Fn::Sub"]
        env = {"Namespace": namespace, "Fn": "tessera-fn", "LogGroup": "/aws/lambda/tessera-fn",
               "AWS::Region": "eu-west-1"}
        body = re.sub(r"\$\{([^}]+)\}", lambda m: env[m.group(1)], text)
        return res, names, json.loads(body)

    def test_dashboard_is_optional_and_charts_what_the_function_emits(self):
        res, names, body = self.dashboard()
        self.assertEqual(res["Condition"], "WithDashboard")
        self.assertEqual(
            CFN["Conditions"]["WithDashboard"],
            {"Fn::And": [{"Fn::Equals": [{"Ref": "MetricsDashboard"}, "true"]},
                         {"Fn::Equals": [{"Ref": "Metrics"}, "emf"]}]},
        )
        self.assertEqual(names["Namespace"], {"Ref": "MetricsNamespace"})
        self.assertEqual(names["Fn"], {"Ref": "TesseraFunction"})
        self.assertEqual(names["LogGroup"], {"Ref": "TesseraLogGroup"})
        emitted = emitted_metrics()
        self.assertIn("Latency", emitted)
        charted = set()
        for widget in body["widgets"]:
            props = widget["properties"]
            if widget["type"] == "log":
                self.assertIn("SOURCE '/aws/lambda/tessera-fn'", props["query"])
                continue
            for row in props["metrics"]:
                if isinstance(row[0], dict):
                    expression = row[0]["expression"]
                    charted.update(re.findall(r'MetricName="([A-Za-z0-9]+)"', expression))
                    if "SEARCH" in expression:
                        self.assertIn('{"Museum/IIIF",Function,Route,StatusClass}', expression)
                elif row[0] != "...":
                    self.assertEqual(row[:1] + row[2:4], ["Museum/IIIF", "Function", "tessera-fn"])
                    charted.add(row[1])
        self.assertLessEqual(charted, emitted, "the dashboard charts only emitted metrics")
        self.assertGreaterEqual(
            charted, {"Requests", "Latency", "RenderTime", "S3Requests", "S3Bytes", "ColdStart"}
        )
        self.assertEqual(CFN["Outputs"]["DashboardUrl"]["Condition"], "WithDashboard")


class Hooks(unittest.TestCase):
    def behaviours(self):
        dist = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
        return [dist["DefaultCacheBehavior"], *dist["CacheBehaviors"]]

    def test_an_origin_request_hook_is_optional_and_on_every_behaviour(self):
        for behaviour in self.behaviours():
            # The host function keeps the viewer-request slot.
            events = [a["EventType"] for a in behaviour["FunctionAssociations"]]
            self.assertEqual(events, ["viewer-request"])
            name, when_set, when_unset = behaviour["LambdaFunctionAssociations"]["Fn::If"]
            self.assertEqual(name, "HasOriginRequestHook")
            self.assertEqual(
                when_set,
                [{"EventType": "origin-request", "LambdaFunctionARN": {"Ref": "OriginRequestHookArn"},
                  "IncludeBody": False}],
            )
            # The default deploy is unchanged: no association at all.
            self.assertEqual(when_unset, {"Ref": "AWS::NoValue"})
        self.assertEqual(
            CFN["Conditions"]["HasOriginRequestHook"],
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "OriginRequestHookArn"}, ""]}]},
        )
        self.assertEqual(CFN["Parameters"]["OriginRequestHookArn"]["Default"], "")

    def test_preflight_is_trusted_only_behind_a_hook_and_a_private_url(self):
        value = env_vars("TesseraFunction")["TESSERA_PREFLIGHT"]
        self.assertEqual(value, {"Fn::If": ["HasOriginRequestHook", "true", "false"]})
        rules = CFN.get("Rules", SOURCE.get("Rules", {}))
        rule = rules["HookNeedsPrivateUrl"]
        self.assertEqual(rule["RuleCondition"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "OriginRequestHookArn"}, ""]}]})
        self.assertEqual(rule["Assertions"][0]["Assert"], {"Fn::Equals": [{"Ref": "PublicFunctionUrl"}, "false"]})

    def test_hook_arn_is_a_published_version_in_us_east_1(self):
        pattern = CFN["Parameters"]["OriginRequestHookArn"]["AllowedPattern"]
        for good in ["", "arn:aws:lambda:us-east-1:123456789012:function:auth-hook:7"]:
            self.assertRegex(good, pattern)
        for bad in [
            "arn:aws:lambda:us-east-1:123456789012:function:auth-hook",
            "arn:aws:lambda:us-east-1:123456789012:function:auth-hook:$LATEST",
            "arn:aws:lambda:eu-west-1:123456789012:function:auth-hook:7",
            "auth-hook",
        ]:
            self.assertNotRegex(bad, pattern)


class Sar(unittest.TestCase):
    def test_metadata_passes_sar_rules(self):
        app = SOURCE["Metadata"]["AWS::ServerlessRepo::Application"]
        # CreateApplication's patterns (Serverless Application Repository API reference).
        self.assertRegex(app["Author"], r"^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$")
        self.assertRegex(app["Name"], r"^[a-zA-Z0-9\-]{1,140}$")
        self.assertLessEqual(len(app["Labels"]), 10)
        for label in app["Labels"]:
            self.assertRegex(label, r"^[a-zA-Z0-9+\-_:\/@]{1,127}$")
        for key in ("HomePageUrl", "SourceCodeUrl"):
            self.assertRegex(app[key], r"^https://\S+$")
        self.assertEqual(app["SpdxLicenseId"], "Apache-2.0")
        license_text = (TOP / app["LicenseUrl"]).read_text()
        self.assertIn("Apache License", license_text)
        self.assertIn("Version 2.0, January 2004", license_text)
        self.assertTrue((TOP / app["ReadmeUrl"]).is_file())


if __name__ == "__main__":
    unittest.main()
