using Rerank.Training.Cli;

return await TrainCommand.InvokeAsync(args);
