using System.CommandLine;
using Search.Host.Cli;

var root = SearchHostCli.CreateRootCommand();
return await root.Parse(args).InvokeAsync();
